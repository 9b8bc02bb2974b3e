"""grader: a sandboxed numeric autograder for deep-learning homework."""
__version__ = "0.1.0"
