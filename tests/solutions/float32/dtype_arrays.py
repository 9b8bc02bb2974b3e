"""Correct formulas, with float32 arrays made by hand: `np.zeros(..., dtype=np.float32)` and
`np.array(..., dtype=np.float32)`, filled in loops; scalars leave as Python floats, so their
dtype is lost on the way out but their precision is float32's.
"""
import numpy as np


def _net(x, W1, b1, W2, b2):
    """(z1, a1, W2 a1 + b2) with float32 arrays"""
    k = W1.shape[0]
    z1 = np.zeros((k, 1), dtype=np.float32)
    for i in range(k):
        z1[i, 0] = W1[i, 0] * x + b1[i, 0]
    a1 = np.where(z1 > 0, z1, np.float32(0))
    W2 = np.array(W2, dtype=np.float32)
    return z1, a1, (W2 @ a1).item() + b2


def relu_net(x, W1, b1, W2, b2):
    return _net(x, W1, b1, W2, b2)[2]


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    return _net(x, W1, b1, W2, b2)[1].T


def dy_db1(x, W1, b1, W2, b2):
    z1 = _net(x, W1, b1, W2, b2)[0]
    return np.array(W2.T, dtype=np.float32) * (z1 > 0)


def dy_dW1(x, W1, b1, W2, b2):
    return dy_db1(x, W1, b1, W2, b2) * np.float32(x)


def y_hat(x, W1, b1, W2, b2):
    z2 = np.float32(_net(x, W1, b1, W2, b2)[2] + x)
    return float(1 / (1 + np.exp(-z2)))


def forward(x, y, W1, b1, W2, b2):
    z1, a1, out = _net(x, W1, b1, W2, b2)
    p = y_hat(x, W1, b1, W2, b2)
    J = -np.log(np.float32(p)) if y == 1 else -np.log(np.float32(1 - p))
    return float(J), [x, y, np.array(W1, dtype=np.float32), np.array(W2, dtype=np.float32), z1, a1, p]


def backward(cache):
    x, y, W1, W2, z1, a1, p = cache
    dz2 = np.float32(p - y)
    dz1 = W2.T * dz2 * (z1 > 0)
    return {"W2": dz2 * a1.T, "b2": float(dz2), "W1": dz1 * np.float32(x), "b1": dz1,
            "x": float((W1.T @ dz1).item() + dz2)}


def ridge_map(X, y, lam):
    A = np.array(X.T @ X, dtype=np.float32)
    A += np.float32(lam) * np.eye(X.shape[1], dtype=np.float32)
    return np.linalg.solve(A, np.array(X.T @ y, dtype=np.float32))


def log_posterior(w, X, y, lam):
    r = np.array(y - X @ w, dtype=np.float32)
    w = np.array(w, dtype=np.float32)
    return float(-np.dot(r, r) / (2 * lam) - np.dot(w, w) / 2)
