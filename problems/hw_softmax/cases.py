"""Seeded inputs for the softmax, cross-entropy and batch-norm homework (see grader.core.cases
for the generator protocol). Every function here is smooth everywhere (no kinks), so no case
needs a radius.

- logits: a batch Z of shape (N, C), N 1..4, C 2..6. `large` shifts each row by 800 to 1000
  (either sign): exp overflows (or every term underflows to 0) unless the row's max is subtracted first.
- labelled: one example's logits z (C,), C 2..8, and an integer label (a Python int, as a
  dataset gives it). `large` as above.
- batches: x (N, D), N 3..8, D 2..5, with per-feature means and scales; gamma, beta (D,);
  eps = 1e-5; dout (N, D), the upstream gradient. `pair` has N = 2 (the biased and unbiased
  variances differ by a factor 2), `flat` has one feature constant over the batch (variance 0,
  so eps is all that keeps 1/sqrt(var + eps) finite).
"""
import numpy as np

from grader.core.cases import Case

EPS = 1e-5


def _logits(rng, shape, family):
    z = rng.normal(0.0, 2.0, size=shape)
    if family == "large":
        offset = rng.uniform(800.0, 1000.0, size=shape[:-1] + (1,)) * rng.choice([-1.0, 1.0])
        z = z + offset
    return z


def logit_cases(rng, family, index):
    n, c = int(rng.integers(1, 5)), int(rng.integers(2, 7))
    label = "rows shifted by 800 to 1000" if family == "large" else ""
    return Case({"Z": _logits(rng, (n, c), family)}, label=label)


def labelled_cases(rng, family, index):
    c = int(rng.integers(2, 9))
    label = int(rng.integers(0, c))
    return Case({"z": _logits(rng, (c,), family), "label": label},
                label=f"{c} classes, label {label}")


def batch_cases(rng, family, index):
    n = 2 if family == "pair" else int(rng.integers(3, 9))
    d = int(rng.integers(2, 6))
    x = rng.normal(rng.normal(0.0, 2.0, size=d), rng.uniform(0.5, 3.0, size=d), size=(n, d))
    label = f"N = {n}, D = {d}"
    if family == "flat":
        column = int(rng.integers(0, d))
        x[:, column] = float(rng.integers(-3, 4))      # exactly constant: variance exactly 0
        label += f", feature {column} constant"
    return Case({"x": x, "gamma": rng.normal(1.0, 0.5, size=d), "beta": rng.normal(0.0, 1.0, size=d),
                 "eps": EPS, "dout": rng.normal(size=(n, d))}, label=label)
