"""Correct solution, written with explicit Python loops over hidden units.

Style under test: scalar indexing (W1[i, 0], W2[0, i]), the ReLU derivative
taken as 1 at z == 0 (the right-hand derivative, allowed at a kink), a tuple
as the cache, and a hand-written Cholesky solve for ridge regression.
"""
import math

import numpy as np


def relu(t):
    return t if t > 0 else 0.0


def relu_slope(t):
    return 1.0 if t >= 0 else 0.0        # right derivative at the kink


def sigmoid(t):
    # two branches so that math.exp never overflows
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


# ---------------------------------------------------------------- Problem 1

def relu_net(x, W1, b1, W2, b2):
    k = W1.shape[0]
    y = float(b2)
    for i in range(k):
        z = W1[i, 0] * x + b1[i, 0]
        y += W2[0, i] * relu(z)
    return float(y)


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    k = W1.shape[0]
    g = np.zeros((1, k))
    for i in range(k):
        g[0, i] = relu(W1[i, 0] * x + b1[i, 0])
    return g


def dy_db1(x, W1, b1, W2, b2):
    k = W1.shape[0]
    g = np.zeros((k, 1))
    for i in range(k):
        g[i, 0] = W2[0, i] * relu_slope(W1[i, 0] * x + b1[i, 0])
    return g


def dy_dW1(x, W1, b1, W2, b2):
    k = W1.shape[0]
    g = np.zeros((k, 1))
    for i in range(k):
        g[i, 0] = W2[0, i] * relu_slope(W1[i, 0] * x + b1[i, 0]) * x
    return g


# ---------------------------------------------------------------- Problem 2

def y_hat(x, W1, b1, W2, b2):
    z2 = float(b2) + x
    for i in range(W1.shape[0]):
        z2 += W2[0, i] * relu(W1[i, 0] * x + b1[i, 0])
    return sigmoid(z2)


def forward(x, y, W1, b1, W2, b2):
    k = W1.shape[0]
    z1 = np.zeros((k, 1))
    a1 = np.zeros((k, 1))
    z2 = float(b2) + x                   # skip connection
    for i in range(k):
        z1[i, 0] = W1[i, 0] * x + b1[i, 0]
        a1[i, 0] = relu(z1[i, 0])
        z2 += W2[0, i] * a1[i, 0]
    p = sigmoid(z2)
    if y == 1:
        J = -math.log(p)
    else:
        J = -math.log(1.0 - p)
    return J, (x, y, W1, W2, z1, a1, p)


def backward(cache):
    x, y, W1, W2, z1, a1, p = cache
    k = W1.shape[0]
    dz2 = p - y
    dW2 = np.zeros((1, k))
    dW1 = np.zeros((k, 1))
    db1 = np.zeros((k, 1))
    dx = dz2                              # skip path
    for i in range(k):
        dW2[0, i] = dz2 * a1[i, 0]
        dz1 = dz2 * W2[0, i] * relu_slope(z1[i, 0])
        db1[i, 0] = dz1
        dW1[i, 0] = dz1 * x
        dx += dz1 * W1[i, 0]
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": dz2, "x": dx}


# ---------------------------------------------------------------- Problem 3

def _cholesky_solve(A, rhs):
    """Solve A v = rhs for a symmetric positive definite A, by hand."""
    m = len(rhs)
    L = [[0.0] * m for _ in range(m)]
    for i in range(m):
        for j in range(i + 1):
            s = A[i][j] - sum(L[i][t] * L[j][t] for t in range(j))
            L[i][j] = math.sqrt(s) if i == j else s / L[j][j]
    u = [0.0] * m                         # L u = rhs
    for i in range(m):
        u[i] = (rhs[i] - sum(L[i][t] * u[t] for t in range(i))) / L[i][i]
    v = [0.0] * m                         # L^T v = u
    for i in reversed(range(m)):
        v[i] = (u[i] - sum(L[t][i] * v[t] for t in range(i + 1, m))) / L[i][i]
    return v


def ridge_map(X, y, lam):
    n, d = X.shape
    A = [[sum(X[r, i] * X[r, j] for r in range(n)) + (lam if i == j else 0.0)
          for j in range(d)] for i in range(d)]
    rhs = [sum(X[r, i] * y[r] for r in range(n)) for i in range(d)]
    return np.array(_cholesky_solve(A, rhs))


def log_posterior(w, X, y, lam):
    n, d = X.shape
    sq_err = 0.0
    for r in range(n):
        pred = sum(X[r, j] * w[j] for j in range(d))
        sq_err += (y[r] - pred) ** 2
    sq_w = sum(w[j] ** 2 for j in range(d))
    return -sq_err / (2.0 * lam) - sq_w / 2.0
