"""Otter-Grader: an assignment whose questions q<part> are scored by grader's sandboxed engine.

- plugin.py runs in Otter's grading process (never in the student's kernel) and replaces every
  question's result with grader's verdicts on the submission file as it was uploaded.
- checks.py runs in the student's kernel, for `grader.check("q1d")` while they work.
- build.py writes the student notebook, the test files and the autograder zip (`otter generate`).
"""
