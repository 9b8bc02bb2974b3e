"""Seeded inputs for Discussion 2 (see grader.cases for the generator protocol).

Problem 1 and 2 cases cover hidden widths k = 1..7, x of both signs, y in {0, 1}; a family sits
just beside a ReLU kink (z1_j = +-delta, delta from 1e-7 to 1e-3) and one exactly on it
(z1_j == 0.0 in floating point). Each case records how far its inputs may move, one at a time,
before some z1_i changes sign, so finite differences never straddle a kink.
"""
import numpy as np

from grader.cases import Case

MAX_WIDTH = 7
MAX_ABS_Z2 = 6.0   # keeps sigmoid away from 0 and 1, where a naive log(1 - y_hat) loses all precision


def _smooth_radius(x, W1, b1):
    """Moving x, one W1_i or one b1_i by r changes z1_i by at most r * max(|x|, 1, |W1_i|)."""
    z1 = W1[:, 0] * x + b1[:, 0]
    reach = np.maximum(np.maximum(abs(x), 1.0), np.abs(W1[:, 0]))
    return float(np.min(np.abs(z1) / reach))


def _relu_inputs(rng, family, index):
    k = 1 + index % MAX_WIDTH
    sign = 1.0 if index % 2 == 0 else -1.0
    x = sign * float(abs(rng.normal(0.0, 1.5)) + 0.05)
    W1 = rng.normal(size=(k, 1))
    b1 = rng.normal(size=(k, 1))
    W2 = rng.normal(size=(1, k))
    b2 = float(rng.normal())
    label = ""
    if family != "random":
        j = int(rng.integers(k))
        W1[j, 0] = np.sign(W1[j, 0]) * (abs(W1[j, 0]) + 0.2)
        if family == "at_kink":
            b1[j, 0] = -(W1[j, 0] * x)            # z1_j = W1_j x + b1_j is exactly 0.0
            label = f"unit {j} exactly at its kink, z1[{j}] = 0"
        else:
            side = 1.0 if (index // 2) % 2 == 0 else -1.0
            delta = side * 10.0 ** rng.uniform(-7, -3)
            b1[j, 0] = -(W1[j, 0] * x) + delta
            label = f"unit {j} just {'above' if side > 0 else 'below'} its kink, z1[{j}] = {delta:.2g}"
    return x, W1, b1, W2, b2, label


def relu_cases(rng, family, index):
    x, W1, b1, W2, b2, label = _relu_inputs(rng, family, index)
    return Case({"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2},
                radius=_smooth_radius(x, W1, b1), label=label)


def mlp_cases(rng, family, index):
    y = float((index // 2) % 2)
    for _ in range(1000):
        x, W1, b1, W2, b2, label = _relu_inputs(rng, family, index)
        z2 = (W2 @ np.maximum(0.0, W1 * x + b1)).item() + b2 + x
        if abs(z2) <= MAX_ABS_Z2:
            break
    return Case({"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2},
                radius=_smooth_radius(x, W1, b1), label=label)


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
