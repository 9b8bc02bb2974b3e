"""Correct formulas computed in float32, then cast back to float64 before returning, so the
dtype the grader sees is float64 and only the values show float32's precision. (A student
"saving memory" with float32 and returning `.astype(np.float64)` or `float(...)`.)
"""
import numpy as np


def _32(*arrays):
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def _back(value):
    return np.asarray(value, dtype=np.float64) if np.ndim(value) else float(value)


def relu_net(x, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = _32(x, W1, b1, W2, b2)
    return _back((W2 @ np.maximum(W1 * x + b1, 0)).item() + b2)


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    x, W1, b1 = _32(x, W1, b1)
    return _back(np.maximum(W1 * x + b1, 0).T)


def dy_db1(x, W1, b1, W2, b2):
    x, W1, b1, W2 = _32(x, W1, b1, W2)
    return _back(W2.T * (W1 * x + b1 > 0))


def dy_dW1(x, W1, b1, W2, b2):
    x, W1, b1, W2 = _32(x, W1, b1, W2)
    return _back(W2.T * (W1 * x + b1 > 0) * x)


def y_hat(x, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = _32(x, W1, b1, W2, b2)
    z2 = (W2 @ np.maximum(W1 * x + b1, 0)).item() + b2 + x
    return _back(1 / (1 + np.exp(-z2)))


def forward(x, y, W1, b1, W2, b2):
    x, y, W1, b1, W2, b2 = _32(x, y, W1, b1, W2, b2)
    z1 = W1 * x + b1
    z2 = (W2 @ np.maximum(z1, 0)).item() + b2 + x
    p = 1 / (1 + np.exp(-z2))
    J = -y * np.log(p) - (1 - y) * np.log(1 - p)
    return _back(J), {"x": _back(x), "y": _back(y), "W1": _back(W1), "W2": _back(W2),
                      "z1": _back(z1), "p": _back(p)}


def backward(cache):
    x, y, W1, W2, z1, p = _32(*(cache[k] for k in ("x", "y", "W1", "W2", "z1", "p")))
    dz2 = p - y
    dz1 = W2.T * dz2 * (z1 > 0)
    return {"W2": _back(dz2 * np.maximum(z1, 0).T), "b2": _back(dz2), "W1": _back(dz1 * x),
            "b1": _back(dz1), "x": _back((W1.T @ dz1).item() + dz2)}


def ridge_map(X, y, lam):
    X, y, lam = _32(X, y, lam)
    return _back(np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1], dtype=np.float32), X.T @ y))


def log_posterior(w, X, y, lam):
    w, X, y, lam = _32(w, X, y, lam)
    r = y - X @ w
    return _back(-(r @ r) / (2 * lam) - (w @ w) / 2)
