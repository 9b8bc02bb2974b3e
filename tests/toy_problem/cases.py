from grader.cases import Case


def line_cases(rng, family, index):
    t = float(rng.uniform(0.5, 2.0))
    return Case({"a": float(rng.normal()), "t": -t if family == "negative" else t})
