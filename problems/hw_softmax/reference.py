"""The answers to the softmax, cross-entropy and batch-norm homework, run only in the judge.
Never shipped in the student kit.

Batch norm is the training-time layer: statistics over the batch (axis 0), the biased variance
(divide by N), eps inside the square root.
"""
import numpy as np


def softmax(Z):
    shifted = Z - np.max(Z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def log_sum_exp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))


def cross_entropy(z, label):
    return float(log_sum_exp(z) - z[label])


def cross_entropy_grad(z, label):
    grad = softmax(z)
    grad[label] -= 1.0
    return grad


def bn_forward(x, gamma, beta, eps):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def bn_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


REFERENCES = [{"softmax": softmax, "cross_entropy": cross_entropy, "cross_entropy_grad": cross_entropy_grad,
               "bn_forward": bn_forward, "bn_backward": bn_backward}]
