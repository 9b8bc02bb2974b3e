from grader.core.cases import Case


def line_cases(rng, family, index):
    t = float(rng.uniform(0.5, 2.0))
    return Case({"a": float(rng.normal()), "t": -t if family == "negative" else t})


def sign_of_t(inputs):
    return f"t is {'negative' if inputs['t'] < 0 else 'positive'} here"
