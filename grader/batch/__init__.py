"""A class at once: finding each student's file (folders.py), grading them with N workers
(workers.py), and the gradebook and summary of the results (gradebook.py)."""
