"""The judge: checks that ask for the student's values and say whether they are right and why.

verdict.py (what a check is and says, and the one loop over its cases), checks.py (against
expected values), own.py (against the student's own functions), contains.py (what a cache
holds), compare.py (comparisons and their messages), gradcheck.py (finite differences),
hints.py and precision.py (common mistakes, float32), values.py (the student's results as
float64 arrays) and wire.py (the wire format as the judge reads it; the sandbox's protocol will
take it over). It runs in the judging process, never touches one, and knows no problem set.
"""
