"""The core flow, one way: a problem's spec (spec.py) and seeded cases (cases.py) make the
checks; the engine (engine.py) carries each check's calls to the sandboxed child and scores the
verdicts (score.py, the score document). Nothing here knows a worksheet, a platform or the
command line."""
