from grader.plotting import Setup


def along_t(seed, unit):
    """a fixed at 2; the 'kink' at t = 0 is where a wrong |t| answer bends."""
    return Setup(inputs={"a": 2.0, "t": 0.0}, variable="t", span=(-1.0, 1.0), kinks=[(0.0, "t = 0")],
                 about="a = 2")
