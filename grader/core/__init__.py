"""The core flow, one way: a problem (spec.py: spec.toml and the folder's code, or a student
kit's vectors) and seeded cases (cases.py) make a plan of checks (plan.py), fed by a source of
expected values (answers.py: the reference; vectors.py: a kit's stored test vectors); the engine
(engine.py) carries each check's calls to the sandboxed child and scores the verdicts (score.py,
the score document). Nothing here knows a worksheet, a platform or the command line."""
