"""The judge: checks that ask for the student's values and say whether they are right and why
(checks.py), comparisons and their messages (compare.py), finite differences (gradcheck.py),
hints naming common mistakes (hints.py) and float32 (precision.py), the student's results as
float64 arrays (values.py), and the wire format as the judge reads it (wire.py, which the
sandbox's protocol will take over). It runs in the judging process and never touches one."""
