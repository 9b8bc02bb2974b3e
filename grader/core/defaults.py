"""Defaults the command line needs before it imports anything heavy (NumPy, pydantic): where
problem sets live, which one is graded when none is named, and the seed of the cases."""
from pathlib import Path

PROBLEMS_ROOT = Path(__file__).resolve().parents[2] / "problems"
DEFAULT_PROBLEM = "dis02"
DEFAULT_SEED = 182   # EECS 182; `grader check --seed N` changes it
VECTORS = "vectors.json"     # a student kit's stored test vectors, in place of reference.py
