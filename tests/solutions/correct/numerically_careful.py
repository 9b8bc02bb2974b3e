"""Correct solution written with numerical care.

Style under test: a sigmoid that never overflows, the loss written with
log-sigmoids (np.logaddexp) instead of log(y_hat), scalars as np.float64,
ridge as a least-squares problem on the augmented system [X; sqrt(lam) I],
and log_posterior written as the exact Gaussian posterior density, which
differs from the other solutions only by a constant that does not depend on w.
"""
import numpy as np


def _sigmoid(t):
    # sigma(t) = exp(-log(1 + e^-t)); logaddexp never overflows
    return np.exp(-np.logaddexp(0.0, -t))


def _hidden(x, W1, b1):
    z1 = W1 * x + b1
    return z1, np.maximum(z1, 0.0)


# ---------------------------------------------------------------- Problem 1

def relu_net(x, W1, b1, W2, b2):
    _, a1 = _hidden(x, W1, b1)
    return np.float64(np.vdot(W2, a1) + b2)


def dy_db2(x, W1, b1, W2, b2):
    return np.float64(1.0)


def dy_dW2(x, W1, b1, W2, b2):
    _, a1 = _hidden(x, W1, b1)
    return a1.reshape(1, -1)


def dy_db1(x, W1, b1, W2, b2):
    z1, _ = _hidden(x, W1, b1)
    return (z1 > 0).astype(np.float64) * W2.reshape(-1, 1)


def dy_dW1(x, W1, b1, W2, b2):
    return x * dy_db1(x, W1, b1, W2, b2)


# ---------------------------------------------------------------- Problem 2

def _logit(x, W1, b1, W2, b2):
    z1, a1 = _hidden(x, W1, b1)
    return z1, a1, np.float64(np.vdot(W2, a1) + b2 + x)


def y_hat(x, W1, b1, W2, b2):
    return _sigmoid(_logit(x, W1, b1, W2, b2)[2])


def forward(x, y, W1, b1, W2, b2):
    z1, a1, z2 = _logit(x, W1, b1, W2, b2)
    # -y log s(z) - (1-y) log(1 - s(z)) = log(1 + e^z) - y z, computed stably
    J = np.logaddexp(0.0, z2) - y * z2
    return np.float64(J), {"x": x, "y": y, "W1": W1, "W2": W2, "z1": z1, "z2": z2}


def backward(cache):
    z1, z2 = cache["z1"], cache["z2"]
    a1 = np.maximum(z1, 0.0)             # cheap to rebuild from z1
    delta2 = _sigmoid(z2) - cache["y"]
    delta1 = cache["W2"].reshape(-1, 1) * delta2 * (z1 > 0)
    return {
        "W2": (delta2 * a1).reshape(1, -1),
        "b2": np.float64(delta2),
        "W1": delta1 * cache["x"],
        "b1": delta1,
        "x": np.float64(np.vdot(cache["W1"], delta1) + delta2),
    }


# ---------------------------------------------------------------- Problem 3

def ridge_map(X, y, lam):
    # min ||Xw - y||^2 + lam ||w||^2  ==  min || [X; sqrt(lam) I] w - [y; 0] ||^2
    n, d = X.shape
    A = np.vstack([X, np.sqrt(lam) * np.eye(d)])
    rhs = np.concatenate([y, np.zeros(d)])
    w, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    return w


def log_posterior(w, X, y, lam):
    # The posterior is N(w_map, P^-1) with precision P = X^T X / lam + I, so
    # log p(w | y) = -(w - w_map)^T P (w - w_map) / 2 + log det(P) / 2 - d/2 log(2 pi).
    d = X.shape[1]
    P = X.T @ X / lam + np.eye(d)
    delta = w - ridge_map(X, y, lam)
    _, logdet = np.linalg.slogdet(P)
    return np.float64(-0.5 * delta @ P @ delta + 0.5 * logdet - 0.5 * d * np.log(2 * np.pi))
