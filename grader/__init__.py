"""grader: a sandboxed numeric autograder for deep-learning homework."""
__version__ = "0.1.0"
# The name on PyPI (`grader` there is an unrelated project); the import package and the command
# stay `grader`.
DISTRIBUTION = "sandgrade"
