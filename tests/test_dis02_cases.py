"""The Discussion 2 generators cover what the issue asks and keep their promises."""
import re

import numpy as np

from grader.core.cases import generate
from problems.dis02 import cases as dis02_cases


def _make(dis02, name, seed=182):
    case_set = dis02.spec.case_sets[name]
    return generate(dis02.generators[name], name, case_set.families, seed)


def test_widths_signs_and_labels(dis02):
    relu = _make(dis02, "relu")
    assert {c.inputs["W1"].shape[0] for c in relu} == set(range(1, 8))
    assert any(c.inputs["x"] < 0 for c in relu) and any(c.inputs["x"] > 0 for c in relu)
    mlp = _make(dis02, "mlp")
    assert {c.inputs["y"] for c in mlp} == {0.0, 1.0}
    assert all(isinstance(c.inputs["x"], float) and isinstance(c.inputs["b2"], float) for c in mlp)


def test_kink_families_sit_where_they_say(dis02):
    networks = {}
    for case in _make(dis02, "relu"):
        z1 = (case.inputs["W1"] * case.inputs["x"] + case.inputs["b1"]).ravel()
        unit = int(re.search(r"unit (\d+)", case.label).group(1)) if case.label else None
        if case.family == "at_kink":
            assert z1[unit] == 0.0
        elif case.family == "near_kink":
            assert 0 < abs(z1[unit]) <= 1.1e-3
            assert ("above" if z1[unit] > 0 else "below") in case.label
            networks.setdefault(case.group, set()).add((unit, "above" in case.label))
    assert len(networks) == dis02.spec.case_sets["relu"].families["near_kink"]
    for group, seen in networks.items():
        width = len(next(c for c in _make(dis02, "relu") if c.group == group).inputs["W1"])
        assert seen == {(j, side) for j in range(width) for side in (True, False)}, "every kink, both sides"


def test_radius_keeps_every_relu_on_its_side(dis02):
    rng = np.random.default_rng(0)
    for case in _make(dis02, "relu"):
        x, W1, b1 = case.inputs["x"], case.inputs["W1"], case.inputs["b1"]
        signs = np.sign(W1 * x + b1)
        r = 0.99 * case.radius
        for _ in range(20):
            dx, dW, db = rng.uniform(-r, r), rng.uniform(-r, r, W1.shape), rng.uniform(-r, r, b1.shape)
            for moved in ((x + dx) * W1 + b1, x * (W1 + dW) + b1, x * W1 + b1 + db):
                assert np.all(np.sign(moved) == signs) or case.radius == 0


def test_sigmoid_stays_in_range(dis02):
    for case in _make(dis02, "mlp"):
        i = case.inputs
        z2 = (i["W2"] @ np.maximum(0, i["W1"] * i["x"] + i["b1"])).item() + i["b2"] + i["x"]
        assert abs(z2) <= dis02_cases.MAX_ABS_Z2


def test_regression_shapes_and_lambda_decades(dis02):
    ridge = _make(dis02, "ridge")
    shapes = [c.inputs["X"].shape for c in ridge]
    assert any(n < d for n, d in shapes) and any(n > d for n, d in shapes)
    lams = [c.inputs["lam"] for c in ridge]
    assert max(lams) / min(lams) > 100
    groups = {}
    for c in _make(dis02, "posterior"):
        groups.setdefault(c.group, []).append(c)
    for members in groups.values():
        assert len(members) == 4
        assert all(m.inputs["X"] is members[0].inputs["X"] for m in members)
        assert len({m.inputs["w"].tobytes() for m in members}) == 4


def test_same_seed_same_cases_other_seed_other_cases(dis02):
    a, b, c = _make(dis02, "mlp", 1), _make(dis02, "mlp", 1), _make(dis02, "mlp", 2)
    assert all(np.array_equal(x.inputs["W1"], y.inputs["W1"]) for x, y in zip(a, b))
    assert not np.array_equal(a[0].inputs["W1"], c[0].inputs["W1"])
