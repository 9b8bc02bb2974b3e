"""Layers in the CS231n assignment style: each forward returns (out, cache), each backward
takes (dout, cache). Problem 2's forward and backward are built from them."""
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def sigmoid_bce_forward(z, y):
    """Loss from the logit, computed stably (log1p/exp of -|z|)."""
    p = np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return loss, (p, y)


def sigmoid_bce_backward(cache):
    p, y = cache
    return p - y


# ---------------------------------------------------------------- Problem 1

def relu_net(x, W1, b1, W2, b2):
    h, _ = affine_forward(np.array([[x]]), W1.T, b1.T)     # (1, k)
    a, _ = relu_forward(h)
    y, _ = affine_forward(a, W2.T, np.array([b2]))         # (1, 1)
    return y.item()


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    h, _ = affine_forward(np.array([[x]]), W1.T, b1.T)
    a, _ = relu_forward(h)
    return a                                               # (1, k), as W2


def dy_db1(x, W1, b1, W2, b2):
    h, _ = affine_forward(np.array([[x]]), W1.T, b1.T)
    return relu_backward(W2, h).T                          # (k, 1)


def dy_dW1(x, W1, b1, W2, b2):
    return dy_db1(x, W1, b1, W2, b2) * x


# ---------------------------------------------------------------- Problem 2

def y_hat(x, W1, b1, W2, b2):
    z2 = relu_net(x, W1, b1, W2, b2) + x
    return float(1 / (1 + np.exp(-z2)))


def forward(x, y, W1, b1, W2, b2):
    xin = np.array([[x]])
    h, fc1_cache = affine_forward(xin, W1.T, b1.T)
    a, relu_cache = relu_forward(h)
    o, fc2_cache = affine_forward(a, W2.T, np.array([b2]))
    z2 = o + xin                                           # skip connection
    loss, loss_cache = sigmoid_bce_forward(z2, y)
    return loss.item(), (fc1_cache, relu_cache, fc2_cache, loss_cache)


def backward(cache):
    fc1_cache, relu_cache, fc2_cache, loss_cache = cache
    dz2 = sigmoid_bce_backward(loss_cache)                 # (1, 1)
    da, dW2t, db2 = affine_backward(dz2, fc2_cache)
    dh = relu_backward(da, relu_cache)
    dx, dW1t, db1 = affine_backward(dh, fc1_cache)
    return {"W2": dW2t.T, "b2": db2.item(), "W1": dW1t.T, "b1": db1.reshape(-1, 1),
            "x": dx.item() + dz2.item()}


# ---------------------------------------------------------------- Problem 3

def ridge_map(X, y, lam):
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def log_posterior(w, X, y, lam):
    return -0.5 * np.sum((y - X.dot(w)) ** 2) / lam - 0.5 * w.dot(w)
