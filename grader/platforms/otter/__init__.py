"""Otter-Grader: an assignment whose questions q<part> are scored by grader's sandboxed engine.

- plugin.py runs in Otter's grading process (never in the student's kernel) and replaces each of
  grader's questions' results with grader's verdicts on the submission file as it was uploaded;
  the instructor's own Otter questions keep Otter's results.
- checks.py runs in the student's kernel, for `grader.check("q1d")` while they work: the public
  checks on the cells the kernel ran; notebook.py is the notebook's `grader`, which says so.
- build.py writes the student notebook, the test files and the autograder zip (`otter generate`).
- compat.py lists the Otter internals all this relies on (pinned in pyproject.toml).
"""
