"""For people who write problem sets: `grader lint` (a problem set checks itself, lint.py),
`grader new` (a working problem set to start from, new.py) and the reference answering the
plan's checks in this process (reference_run.py). docs/authoring.md is the guide."""
