"""`grader plot`: a problem's sketches drawn from the student's own functions.

readings.py runs the student's functions in the sandbox and reads the curves (slopes, kinks,
jumps); drawing.py draws them with matplotlib. A problem's plots.py returns a Setup.
"""
from grader.plotting.readings import Setup

__all__ = ["Setup"]
