"""The judge: checks that ask for the student's values and say whether they are right and why.

verdict.py (what a check is and says, and the one loop over its cases), checks.py (against
expected values), own.py (against the student's own functions), contains.py (what a cache
holds), compare.py (comparisons and their messages), gradcheck.py (finite differences),
hints.py and precision.py (common mistakes, float32) and values.py (the student's results, as
grader.sandbox.protocol read them, as float64 arrays). It runs in the judging process, never
touches one, and knows no problem set.
"""
