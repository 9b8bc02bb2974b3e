"""Mutants of correct/vectorized.py for the softmax, cross-entropy and batch-norm homework: one
plausible mistake each, as a text edit, pinned to the parts it must fail (every other part
must pass) and, where the spec has a hint for it, to the start of the hint it must get.

Parts: 1a softmax; 1b cross_entropy; 1c cross_entropy_grad (it calls softmax, so a softmax that
overflows breaks it too); 2a bn_forward's out; 2b bn_backward's dx, dgamma, dbeta, from the
student's own cache (so a forward whose cache is wrong breaks 2b as well).
"""
from dataclasses import dataclass
from pathlib import Path

BASE = Path(__file__).parent / "correct" / "vectorized.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    old: str           # occurs exactly once in correct/vectorized.py
    new: str
    fails: frozenset   # the parts it must fail
    why: str
    hint: str = ""     # the start of a hint one of its failing checks must show


def _f(*parts):
    return frozenset(parts)


MUTANTS = [
    # ---- softmax
    Mutant("softmax-unstable", "e = np.exp(Z - Z.max(axis=-1, keepdims=True))", "e = np.exp(Z)",
           _f("1a", "1c"), "exp of large logits overflows: inf / inf is NaN"),
    Mutant("softmax-axis0", "e = np.exp(Z - Z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)",
           "e = np.exp(Z - Z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)",
           _f("1a"), "normalises columns; on one example's z (1-D) axis 0 is the right axis, so 1c passes",
           hint="softmax normalises each column"),
    Mutant("softmax-whole-batch", "return e / e.sum(axis=-1, keepdims=True)", "return e / e.sum()",
           _f("1a"), "one normaliser for the whole batch (right for one example, so 1c passes)",
           hint="softmax divides by the sum over the whole batch"),
    # ---- cross-entropy
    Mutant("ce-float-label", "shifted = z - z.max()\n", "shifted = z - z.max()\n    label = float(label)\n",
           _f("1b"), "indexes with a float label: IndexError"),
    Mutant("ce-unstable", "return float(np.log(np.exp(shifted).sum()) - shifted[label])",
           "return float(-np.log(np.exp(z[label]) / np.exp(z).sum()))",
           _f("1b"), "exp of large logits overflows"),
    Mutant("ce-positive-log", "return float(np.log(np.exp(shifted).sum()) - shifted[label])",
           "return float(shifted[label] - np.log(np.exp(shifted).sum()))",
           _f("1b"), "log p, not -log p", hint="the loss has the wrong sign"),
    Mutant("ce-grad-no-one-hot", "return softmax(z) - np.eye(len(z))[label]", "return softmax(z)",
           _f("1c"), "the gradient is p - onehot, not p", hint="dloss/dz is softmax(z)"),
    Mutant("ce-grad-wrong-sign", "return softmax(z) - np.eye(len(z))[label]", "return np.eye(len(z))[label] - softmax(z)",
           _f("1c"), "onehot - p", hint="dloss/dz has the wrong sign"),
    Mutant("ce-grad-float-label", "return softmax(z) - np.eye(len(z))[label]",
           "return softmax(z) - np.eye(len(z))[float(label)]", _f("1c"), "a float index: IndexError"),
    # ---- batch norm forward (the cache carries the mistake into backward)
    Mutant("bn-unbiased-variance", "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)", _f("2a", "2b"),
           "divides by N - 1 in the forward pass", hint="out uses the unbiased variance"),
    Mutant("bn-over-features", "mu = x.mean(axis=0)\n    var = x.var(axis=0)",
           "mu = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)", _f("2a", "2b"),
           "normalises each example over its features", hint="out normalises each example over its features"),
    Mutant("bn-no-eps", "x_hat = (x - mu) / np.sqrt(var + eps)", "x_hat = (x - mu) / np.sqrt(var)", _f("2a", "2b"),
           "no eps: a constant feature gives 0 / 0"),
    Mutant("bn-no-affine", "return gamma * x_hat + beta, {", "return x_hat, {", _f("2a"),
           "forgets gamma and beta in out; backward, from the cache, is right (only the advisory "
           "check against the student's own forward fails in 2b)",
           hint="out is the normalised x alone"),
    # ---- batch norm backward
    Mutant("bn-backward-unbiased", "dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / std",
           "dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0) / (n - 1)) / std",
           _f("2b"), "differentiates the variance as if it were divided by N - 1"),
    Mutant("bn-dx-no-mean-term", "dx = (dx_hat - dx_hat.mean(axis=0) - x_hat", "dx = (dx_hat - x_hat",
           _f("2b"), "leaves out the path through the mean", hint="dx is missing the term through the mean"),
    Mutant("bn-dx-constant-statistics",
           "dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / std",
           "dx = dx_hat / std", _f("2b"), "treats the mean and variance as constants",
           hint="dx treats the batch's mean and variance as constants"),
    Mutant("bn-dgamma-not-summed", "return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)",
           "return dx, dout * x_hat, dout.sum(axis=0)", _f("2b"), "dgamma of shape (N, D)",
           hint="dgamma is not summed over the batch"),
    Mutant("bn-dbeta-not-summed", "return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)",
           "return dx, (dout * x_hat).sum(axis=0), dout", _f("2b"), "dbeta of shape (N, D)",
           hint="dbeta is not summed over the batch"),
    Mutant("bn-dgamma-uses-x", "(dout * x_hat).sum(axis=0), dout.sum(axis=0)",
           '(dout * cache["x"]).sum(axis=0), dout.sum(axis=0)', _f("2b"), "dgamma from x, not x_hat",
           hint="dgamma multiplies dout by x"),
]


def apply(source: str, m: Mutant) -> str:
    count = source.count(m.old)
    assert count == 1, f"mutant {m.name}: snippet occurs {count} times, expected 1"
    return source.replace(m.old, m.new)


def patched(m: Mutant) -> str:
    return apply(BASE.read_text(), m)
