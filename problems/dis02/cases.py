"""Seeded inputs for Discussion 2 (see grader.core.cases for the generator protocol).

Problem 1 and 2 cases cover hidden widths k = 1..7, x of both signs, y in {0, 1}; one family
puts x just either side of every kink of networks of widths 1, 3, 5, 7 (z1_j = +-delta, delta
from 1e-7 to 1e-3), and one exactly on a kink (z1_j == 0.0 in floating point). Each case records how far its inputs may move, one at a time,
before some z1_i changes sign, so finite differences never straddle a kink.
"""
import numpy as np

from grader.core.cases import Case

MAX_WIDTH = 7
MAX_ABS_Z2 = 6.0   # keeps sigmoid away from 0 and 1, where a naive log(1 - y_hat) loses all precision


def _smooth_radius(x, W1, b1):
    """Moving x, one W1_i or one b1_i by r changes z1_i by at most r * max(|x|, 1, |W1_i|)."""
    z1 = W1[:, 0] * x + b1[:, 0]
    reach = np.maximum(np.maximum(abs(x), 1.0), np.abs(W1[:, 0]))
    return float(np.min(np.abs(z1) / reach))


def _network(rng, index, family):
    # near_kink visits every kink of its network: widths 1, 3, 5, 7 cover the range at half the cost
    k = min(1 + 2 * index, MAX_WIDTH) if family == "near_kink" else 1 + index % MAX_WIDTH
    W1 = rng.normal(size=(k, 1))
    W1 += 0.2 * np.sign(W1)             # |W1_i| >= 0.2 keeps every kink -b1_i/W1_i at a finite x
    return W1, rng.normal(size=(k, 1)), rng.normal(size=(1, k)), float(rng.normal())


def _random_x(rng, index):
    sign = 1.0 if index % 2 == 0 else -1.0
    return sign * float(abs(rng.normal(0.0, 1.5)) + 0.05)


def _relu_inputs(rng, family, index):
    """[(x, W1, b1, W2, b2, label)]: one network, and one x or (near_kink) an x just either
    side of each of its kinks."""
    W1, b1, W2, b2 = _network(rng, index, family)
    if family == "random":
        return [(_random_x(rng, index), W1, b1, W2, b2, "")]
    if family == "at_kink":
        x, j = _random_x(rng, index), int(rng.integers(len(W1)))
        b1[j, 0] = -(W1[j, 0] * x)          # z1_j = W1_j x + b1_j is exactly 0.0
        return [(x, W1, b1, W2, b2, f"unit {j} exactly at its kink, z1[{j}] = 0")]
    found = []
    for j in range(len(W1)):
        kink = -b1[j, 0] / W1[j, 0]
        for side in (1.0, -1.0):
            x = float(kink + side * 10.0 ** rng.uniform(-7, -3) / W1[j, 0])
            z = W1[j, 0] * x + b1[j, 0]
            if np.sign(z) == side:       # rounding never flips it at these sizes; make sure
                found.append((x, W1, b1, W2, b2,
                              f"unit {j} just {'above' if side > 0 else 'below'} its kink, z1[{j}] = {z:.2g}"))
    return found


def relu_cases(rng, family, index):
    return [Case({"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2},
                 radius=_smooth_radius(x, W1, b1), label=label)
            for x, W1, b1, W2, b2, label in _relu_inputs(rng, family, index)]


def mlp_cases(rng, family, index):
    """As relu_cases, with y alternating, and only inputs where |z2| <= MAX_ABS_Z2."""
    y = float((index // 2) % 2)
    for _ in range(1000):
        kept = [(x, W1, b1, W2, b2, label) for x, W1, b1, W2, b2, label in _relu_inputs(rng, family, index)
                if abs((W2 @ np.maximum(0.0, W1 * x + b1)).item() + b2 + x) <= MAX_ABS_Z2]
        if kept:
            break
    return [Case({"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2},
                 radius=_smooth_radius(x, W1, b1), label=label)
            for x, W1, b1, W2, b2, label in kept]


def _regression(rng, index):
    """n < d on even indices, n > d on odd; lam from 1e-2 to 1e1."""
    small, large = int(rng.integers(1, 5)), int(rng.integers(5, 9))
    n, d = (small, large) if index % 2 == 0 else (large, small)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    lam = float(10.0 ** rng.uniform(-2, 1))
    return X, y, lam, f"n = {n}, d = {d}"


def ridge_cases(rng, family, index):
    X, y, lam, label = _regression(rng, index)
    return Case({"X": X, "y": y, "lam": lam}, label=label)


def posterior_groups(rng, family, index, size=4):
    """Cases sharing X, y, lam at several w: log_posterior is graded up to a constant."""
    X, y, lam, label = _regression(rng, index)
    scale = 10.0 ** rng.uniform(-1, 0.5)
    return [Case({"w": rng.normal(0.0, scale, size=X.shape[1]), "X": X, "y": y, "lam": lam}, label=label)
            for _ in range(size)]


def hidden_units(inputs):
    """Which hidden units are on at this x: the pattern every ReLU mask must follow."""
    z1 = (inputs["W1"] * inputs["x"] + inputs["b1"])[:, 0]
    on = ", ".join(str(i) for i in np.flatnonzero(z1 > 0)) or "none"
    kinks = np.flatnonzero(z1 == 0)
    at_kink = f"; at its kink (z1 = 0): {', '.join(map(str, kinks))}" if len(kinks) else ""
    values = ", ".join(f"{z:.4g}" for z in z1)
    return f"hidden units on at this x (z1 > 0): {on} (of k = {len(z1)}){at_kink}; z1 = [{values}]"
