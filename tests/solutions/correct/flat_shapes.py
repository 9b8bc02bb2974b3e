"""Correct solution that flattens everything.

Style under test: shapes that differ from the contract only by size-1
dimensions, which the contract accepts: (k,) for (k, 1) and for (1, k),
scalars as size-1 arrays (np.array([[y]]), np.array([y])) or 0-d arrays,
ridge weights as a (d, 1) column, and a list as the cache.
"""
import numpy as np


def _flat(W1, b1, W2):
    return W1.ravel(), b1.ravel(), W2.ravel()


# ---------------------------------------------------------------- Problem 1

def relu_net(x, W1, b1, W2, b2):
    w1, c1, w2 = _flat(W1, b1, W2)
    y = w2.dot(np.maximum(w1 * x + c1, 0)) + b2
    return np.array([[y]])               # a (1, 1) "scalar"


def dy_db2(x, W1, b1, W2, b2):
    return np.ones(1)                    # a (1,) "scalar"


def dy_dW2(x, W1, b1, W2, b2):
    w1, c1, _ = _flat(W1, b1, W2)
    return np.maximum(w1 * x + c1, 0)    # (k,) instead of (1, k)


def dy_db1(x, W1, b1, W2, b2):
    w1, c1, w2 = _flat(W1, b1, W2)
    return w2 * (w1 * x + c1 > 0)        # (k,) instead of (k, 1)


def dy_dW1(x, W1, b1, W2, b2):
    return dy_db1(x, W1, b1, W2, b2) * x


# ---------------------------------------------------------------- Problem 2

def y_hat(x, W1, b1, W2, b2):
    w1, c1, w2 = _flat(W1, b1, W2)
    z2 = w2.dot(np.maximum(w1 * x + c1, 0)) + b2 + x
    return np.array(1 / (1 + np.exp(-z2)))   # a 0-d array


def forward(x, y, W1, b1, W2, b2):
    w1, c1, w2 = _flat(W1, b1, W2)
    z1 = w1 * x + c1                     # (k,)
    a1 = np.maximum(z1, 0)
    z2 = np.array(w2.dot(a1) + b2 + x)   # 0-d
    p = 1 / (1 + np.exp(-z2))
    J = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return np.array([J]), [x, y, w1, w2, z1, a1, z2, p]


def backward(cache):
    x, y, w1, w2, z1, a1, z2, p = cache
    dz2 = p - y
    dz1 = w2 * dz2 * (z1 > 0)            # (k,)
    return {
        "W2": a1 * dz2,                  # (k,) for (1, k)
        "b2": np.array([dz2]),           # (1,)
        "W1": dz1 * x,                   # (k,) for (k, 1)
        "b1": dz1,
        "x": np.array([[w1.dot(dz1) + dz2]]),   # (1, 1)
    }


# ---------------------------------------------------------------- Problem 3

def ridge_map(X, y, lam):
    d = X.shape[1]
    col = y.reshape(-1, 1)
    return np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ col)   # (d, 1)


def log_posterior(w, X, y, lam):
    w = w.ravel()
    r = X @ w - y
    return np.array([-(r.dot(r) / lam + w.dot(w)) / 2])           # (1,)
