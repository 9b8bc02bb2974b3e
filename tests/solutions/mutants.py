"""Mutants of correct/vectorized.py: plausible student mistakes, one text edit each.

Each mutant replaces one snippet that occurs exactly once in vectorized.py.
`fails` lists the part ids whose auto-graded checks the patched file must
fail; every other part must still pass.  Part ids: 1y relu_net; 1a dy_db2;
1b dy_dW2; 1c dy_db1; 1d dy_dW1; 2a y_hat and the J of forward; 2b backward
"W2"/"b2"; 2c backward "W1"/"b1"/"x"; 2d the cache holds (z1 or a1) and
(y_hat or z2) by value; 3a ridge_map; 3b log_posterior up to a constant.

A mistake in forward that changes the cached values fails 2a, 2b, 2c and 2d:
backward is graded from the student's own cache, and the cache no longer
holds the true intermediates.  A mistake only in J fails 2a alone.
"""
from dataclasses import dataclass
from pathlib import Path

BASE = Path(__file__).parent / "correct" / "vectorized.py"


@dataclass(frozen=True)
class Mutant:
    name: str          # short slug, e.g. "dW1-missing-x"
    old: str           # a snippet that occurs exactly once in correct/vectorized.py
    new: str           # what replaces it
    fails: frozenset   # part ids it must fail
    why: str           # one line: the mistake


def _f(*parts):
    return frozenset(parts)


FORWARD_PARTS = _f("2a", "2b", "2c", "2d")

# The two cache mutants edit the end of forward and the start of backward in
# one replacement, so that backward rebuilds what the cache no longer holds.
_CACHE_TAIL = '''\
             "z1": z1, "a1": a1, "z2": z2, "y_hat": yh}
    return float(J), cache


def backward(cache):
    # Everything comes from the cache: backward never sees the inputs directly.
    x, y = cache["x"], cache["y"]
    W1, b1, W2, b2 = cache["W1"], cache["b1"], cache["W2"], cache["b2"]
    z1 = cache["z1"]
    a1 = cache["a1"]
    yh = cache["y_hat"]'''


def _span(first: str, last: str) -> str:
    """The text of correct/vectorized.py from `first` to the end of `last`: one snippet for
    a mistake made in two places (forward and backward)."""
    base = BASE.read_text()
    start = base.index(first)
    return base[start:base.index(last, start) + len(last)]


_FORWARD_TO_MASK = _span("a1 = np.maximum(z1, 0.0)", "dz1 = da1 * (z1 > 0)")

MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------ Problem 1
    Mutant("y-relu-identity", "a = np.maximum(z, 0.0)", "a = z", _f("1y"),
           "forgets the ReLU: the hidden layer is linear"),
    Mutant("y-relu-abs", "a = np.maximum(z, 0.0)", "a = np.abs(z)", _f("1y"),
           "uses |z| for the ReLU"),
    Mutant("y-missing-b2", "return float((W2 @ a).item() + b2)", "return float((W2 @ a).item())",
           _f("1y"), "drops the output bias b2"),
    Mutant("y-missing-b1", "z = W1 * x + b1 ", "z = W1 * x ", _f("1y"),
           "drops the hidden bias b1"),
    Mutant("dW2-relu-abs", "hidden = np.maximum(W1 * x + b1, 0.0)", "hidden = np.abs(W1 * x + b1)",
           _f("1b"), "uses |z| for the ReLU in dy/dW2"),
    Mutant("db1-relu-abs", "active = (W1 * x + b1 > 0)", "active = np.sign(W1 * x + b1)", _f("1c"),
           "takes sign(z), the slope of |z|, for the ReLU's slope"),
    Mutant("dW1-relu-abs", "gate = (W1 * x + b1 > 0)", "gate = np.sign(W1 * x + b1)", _f("1d"),
           "takes sign(z), the slope of |z|, for the ReLU's slope"),
    Mutant("db2-zero", "return 1.0                           # b2", "return 0.0  # b2", _f("1a"),
           "says a constant has derivative 0"),
    Mutant("db2-returns-y", "return 1.0                           # b2",
           "return relu_net(x, W1, b1, W2, b2)  # b2", _f("1a"),
           "returns the function value instead of its derivative"),
    Mutant("dW2-pre-activation", "hidden = np.maximum(W1 * x + b1, 0.0)", "hidden = W1 * x + b1",
           _f("1b"), "uses z instead of ReLU(z) for dy/dW2"),
    Mutant("dW2-relu-slope", "hidden = np.maximum(W1 * x + b1, 0.0)",
           "hidden = (W1 * x + b1 > 0) * 1.0", _f("1b"),
           "uses the ReLU derivative 1[z>0] instead of the activation"),
    Mutant("dW2-missing-b1", "hidden = np.maximum(W1 * x + b1, 0.0)", "hidden = np.maximum(W1 * x, 0.0)",
           _f("1b"), "drops b1 when computing the activations"),
    Mutant("db1-no-mask", "return W2.T * active ", "return W2.T ", _f("1c"),
           "forgets the ReLU mask: every unit passes gradient"),
    Mutant("db1-W2-not-transposed", "return W2.T * active ", "return W2 * active ", _f("1c"),
           "W2 instead of W2^T: broadcasting makes a (k, k) outer product"),
    Mutant("db1-times-x", "return W2.T * active ", "return W2.T * active * x ", _f("1c"),
           "copies the dW1 formula: an extra factor x"),
    Mutant("db1-mask-missing-b1", "active = (W1 * x + b1 > 0)", "active = (W1 * x > 0)", _f("1c"),
           "decides which units are on from W1 x alone"),
    Mutant("dW1-missing-x", "return W2.T * gate * x ", "return W2.T * gate ", _f("1d"),
           "forgets the inner derivative dz/dw1 = x"),
    Mutant("dW1-no-mask", "return W2.T * gate * x ", "return W2.T * x ", _f("1d"),
           "forgets the ReLU mask"),
    Mutant("dW1-x-squared", "return W2.T * gate * x ", "return W2.T * gate * x**2 ", _f("1d"),
           "multiplies by x twice (x squared)"),
    Mutant("dW1-mask-missing-b1", "gate = (W1 * x + b1 > 0)", "gate = (W1 * x > 0)", _f("1d"),
           "decides which units are on from W1 x alone"),
    # ------------------------------------------------------------ Problem 2, y_hat and J
    Mutant("yhat-no-skip", "logit = (W2 @ hid).item() + b2 + x ", "logit = (W2 @ hid).item() + b2 ",
           _f("2a"), "forgets the skip connection in y_hat"),
    Mutant("yhat-skip-after-sigmoid",
           "logit = (W2 @ hid).item() + b2 + x   # the skip connection adds x before sigmoid\n"
           "    return float(_sigmoid(logit))",
           "logit = (W2 @ hid).item() + b2\n"
           "    return float(_sigmoid(logit) + x)",
           _f("2a"), "adds the skip after the sigmoid instead of before"),
    Mutant("yhat-sigmoid-hidden", "hid = np.maximum(W1 * x + b1, 0.0)", "hid = _sigmoid(W1 * x + b1)",
           _f("2a"), "sigmoid of the wrong thing: the hidden layer instead of ReLU"),
    Mutant("yhat-missing-b1", "hid = np.maximum(W1 * x + b1, 0.0)", "hid = np.maximum(W1 * x, 0.0)",
           _f("2a"), "drops b1 in y_hat"),
    Mutant("yhat-relu-abs", "hid = np.maximum(W1 * x + b1, 0.0)", "hid = np.abs(W1 * x + b1)",
           _f("2a"), "uses |z| for the ReLU in y_hat"),
    Mutant("yhat-sigmoid-sign", "return float(_sigmoid(logit))", "return float(_sigmoid(-logit))",
           _f("2a"), "sigmoid sign flip: returns 1 - y_hat"),
    Mutant("J-sign-flip", "J = -y * np.log(yh) - (1 - y) * np.log(1 - yh)",
           "J = y * np.log(yh) + (1 - y) * np.log(1 - yh)", _f("2a"),
           "loss is the log-likelihood, not its negative (J only; backward reads the cache)"),
    Mutant("J-labels-swapped", "J = -y * np.log(yh) - (1 - y) * np.log(1 - yh)",
           "J = -(1 - y) * np.log(yh) - y * np.log(1 - yh)", _f("2a"),
           "swaps the roles of y and 1 - y in the cross-entropy"),
    # ------------------------------------------------------------ Problem 2, forward values
    Mutant("fwd-no-skip", "z2 = (W2 @ a1).item() + b2 + x", "z2 = (W2 @ a1).item() + b2",
           FORWARD_PARTS, "forgets the skip connection in forward: every cached value downstream is off"),
    Mutant("fwd-relu-identity", "a1 = np.maximum(z1, 0.0)", "a1 = z1", FORWARD_PARTS,
           "no ReLU in forward: a1, z2 and y_hat are wrong (z1 alone is right)"),
    Mutant("fwd-missing-b2", "z2 = (W2 @ a1).item() + b2 + x", "z2 = (W2 @ a1).item() + x",
           FORWARD_PARTS, "drops b2 in forward"),
    Mutant("fwd-relu-abs", "a1 = np.maximum(z1, 0.0)", "a1 = np.abs(z1)", FORWARD_PARTS,
           "|z| for the ReLU in forward; backward keeps the ReLU's mask (z1 > 0)"),
    Mutant("net-relu-abs", _FORWARD_TO_MASK,
           _FORWARD_TO_MASK.replace("a1 = np.maximum(z1, 0.0)", "a1 = np.abs(z1)")
                           .replace("dz1 = da1 * (z1 > 0)", "dz1 = da1 * np.sign(z1)"),
           FORWARD_PARTS, "|z| for the ReLU throughout: |z1| in forward, its slope sign(z1) in backward"),
    # ------------------------------------------------------------ Problem 2, backward
    Mutant("dz2-sign-flip", "dz2 = yh - y ", "dz2 = y - yh ", _f("2b", "2c"),
           "y - y_hat instead of y_hat - y: every gradient has the wrong sign"),
    Mutant("dz2-extra-sigmoid-prime", "dz2 = yh - y ", "dz2 = (yh - y) * yh * (1 - yh) ", _f("2b", "2c"),
           "multiplies by sigma'(z2) again, though y_hat - y already includes it"),
    Mutant("dz2-without-sigmoid", "dz2 = yh - y ", 'dz2 = cache["z2"] - y ', _f("2b", "2c"),
           "dJ/dz2 = z2 - y: the sigmoid left out (the squared error's gradient on z2)"),
    Mutant("dW2-uses-z1", "dW2 = dz2 * a1.T ", "dW2 = dz2 * z1.T ", _f("2b"),
           "uses the pre-activation z1 instead of a1"),
    Mutant("db2-one", "db2 = dz2", "db2 = 1.0", _f("2b"),
           "carries over dy/db2 = 1 from Problem 1"),
    Mutant("dW2-missing-dz2", "dW2 = dz2 * a1.T ", "dW2 = a1.T ", _f("2b"),
           "forgets the upstream gradient dJ/dz2"),
    Mutant("back-no-mask", "dz1 = da1 * (z1 > 0) ", "dz1 = da1 ", _f("2c"),
           "forgets the ReLU mask"),
    Mutant("back-mask-a1-geq", "dz1 = da1 * (z1 > 0) ", "dz1 = da1 * (a1 >= 0) ", _f("2c"),
           "masks on a1 >= 0, which is always true"),
    Mutant("back-mask-is-a1", "dz1 = da1 * (z1 > 0) ", "dz1 = da1 * a1 ", _f("2c"),
           "uses ReLU(z1) in place of ReLU'(z1)"),
    Mutant("back-dW1-missing-x", "dW1 = dz1 * x", "dW1 = dz1", _f("2c"),
           "forgets the factor x in dJ/dW1"),
    Mutant("dx-missing-skip", "dx = (W1.T @ dz1).item() + dz2 ", "dx = (W1.T @ dz1).item() ", _f("2c"),
           "forgets the skip connection's term in dJ/dx"),
    Mutant("dx-only-skip", "dx = (W1.T @ dz1).item() + dz2 ", "dx = dz2 ", _f("2c"),
           "keeps only the skip path in dJ/dx"),
    Mutant("da1-W2-not-transposed", "da1 = W2.T * dz2 ", "da1 = W2 * dz2 ", _f("2b", "2c"),
           "W2 instead of W2^T: (k, k) gradients, and .item() then raises, losing all of backward"),
    # ------------------------------------------------------------ Problem 2, the cache
    Mutant("cache-drop-hidden", _CACHE_TAIL,
           _CACHE_TAIL.replace('"z1": z1, "a1": a1, ', "")
                      .replace('z1 = cache["z1"]', "z1 = W1 * x + b1       # recomputed")
                      .replace('a1 = cache["a1"]', "a1 = np.maximum(z1, 0.0)"),
           _f("2d"), "caches only inputs for the hidden layer; backward recomputes z1, a1"),
    Mutant("cache-drop-output", _CACHE_TAIL,
           _CACHE_TAIL.replace('"z2": z2, "y_hat": yh', "")
                      .replace('yh = cache["y_hat"]',
                               "yh = float(_sigmoid((W2 @ a1).item() + b2 + x))   # recomputed"),
           _f("2d"), "caches neither z2 nor y_hat; backward recomputes them"),
    # ------------------------------------------------------------ Problem 3
    Mutant("ridge-lam-inverse", "A = X.T @ X + lam * np.eye(d)", "A = X.T @ X + np.eye(d) / lam",
           _f("3a"), "regularises with 1/lam"),
    Mutant("ridge-lam-squared", "A = X.T @ X + lam * np.eye(d)", "A = X.T @ X + lam**2 * np.eye(d)",
           _f("3a"), "regularises with lam^2 (noise std sqrt(lam) squared twice)"),
    Mutant("ridge-sqrt-lam", "A = X.T @ X + lam * np.eye(d)", "A = X.T @ X + np.sqrt(lam) * np.eye(d)",
           _f("3a"), "uses the noise standard deviation sqrt(lam) for its variance"),
    Mutant("ridge-XXt", "A = X.T @ X + lam * np.eye(d)", "A = X @ X.T + lam * np.eye(d)",
           _f("3a"), "X X^T instead of X^T X: wrong matrix, and a shape error unless n == d"),
    Mutant("ridge-no-lam", "A = X.T @ X + lam * np.eye(d)", "A = X.T @ X",
           _f("3a"), "ordinary least squares: singular for n < d, unregularised for n > d"),
    Mutant("ridge-two-lam", "A = X.T @ X + lam * np.eye(d)", "A = X.T @ X + 2 * lam * np.eye(d)",
           _f("3a"), "2 lam where the posterior has lam (the 2 of d/dw ||y - Xw||^2 lost)"),
    Mutant("ridge-intercept", "d = X.shape[1]",
           "d = X.shape[1]\n    X, y = X - X.mean(axis=0), y - y.mean()   # fit an intercept, unpenalized",
           _f("3a"), "adds an unpenalized intercept (centres X and y) the model does not have"),
    Mutant("logp-sign-flip", "log_lik = -(r @ r) / (2 * lam)", "log_lik = (r @ r) / (2 * lam)",
           _f("3b"), "adds the squared error instead of subtracting it"),
    Mutant("logp-lam-inverse", "log_lik = -(r @ r) / (2 * lam)", "log_lik = -(r @ r) * lam / 2",
           _f("3b"), "multiplies by the noise variance instead of dividing"),
    Mutant("logp-sqrt-lam", "log_lik = -(r @ r) / (2 * lam)", "log_lik = -(r @ r) / (2 * np.sqrt(lam))",
           _f("3b"), "divides by the noise std sqrt(lam) instead of the variance lam"),
    Mutant("logp-no-prior", "return float(log_lik + log_prior)", "return float(log_lik)",
           _f("3b"), "returns the log-likelihood only (forgets the prior)"),
    Mutant("logp-prior-lam", "log_prior = -(w @ w) / 2 ", "log_prior = -(w @ w) / (2 * lam) ",
           _f("3b"), "gives the prior variance lam instead of 1"),
    Mutant("logp-ridge-objective",
           "log_lik = -(r @ r) / (2 * lam)       # log N(y; Xw, lam I) without its constant\n"
           "    log_prior = -(w @ w) / 2 ",
           "log_lik = -(r @ r) / 2\n"
           "    log_prior = -lam * (w @ w) / 2 ",
           _f("3b"), "returns minus half the ridge objective: same argmax, but lam times the log posterior"),
    Mutant("logp-prior-without-half", "log_prior = -(w @ w) / 2 ", "log_prior = -(w @ w) ", _f("3b"),
           "the prior's log density without its 1/2: the prior weighs as if lam were 2 lam"),
]


def apply(source: str, m: Mutant) -> str:
    """Return `source` with m.old replaced by m.new; m.old must occur exactly once."""
    count = source.count(m.old)
    assert count == 1, f"mutant {m.name}: snippet occurs {count} times, expected 1"
    return source.replace(m.old, m.new)


def patched(m: Mutant) -> str:
    """The source of correct/vectorized.py with mutant m applied."""
    return apply(BASE.read_text(), m)


if __name__ == "__main__":
    # Quick self-check: every snippet is unique and every patched file compiles.
    base = BASE.read_text()
    for m in MUTANTS:
        compile(apply(base, m), m.name, "exec")
    print(f"{len(MUTANTS)} mutants apply cleanly")
