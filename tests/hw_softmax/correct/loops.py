# Everything with explicit Python loops and math, NumPy only to hold the arrays.
import math

import numpy as np


def softmax(Z):
    out = np.zeros_like(Z)
    for i in range(Z.shape[0]):
        top = max(Z[i])
        exps = [math.exp(v - top) for v in Z[i]]
        total = sum(exps)
        for j in range(Z.shape[1]):
            out[i, j] = exps[j] / total
    return out


def cross_entropy(z, label):
    top = max(z)
    total = 0.0
    for v in z:
        total += math.exp(v - top)
    return -(z[label] - top - math.log(total))


def cross_entropy_grad(z, label):
    top = max(z)
    exps = [math.exp(v - top) for v in z]
    total = sum(exps)
    grad = np.zeros(len(z))
    for j in range(len(z)):
        grad[j] = exps[j] / total - (1.0 if j == label else 0.0)
    return grad


def bn_forward(x, gamma, beta, eps):
    n, d = x.shape
    out = np.zeros((n, d))
    x_hat = np.zeros((n, d))
    means, stds = [], []
    for j in range(d):
        mean = sum(x[i, j] for i in range(n)) / n
        var = sum((x[i, j] - mean) ** 2 for i in range(n)) / n
        std = math.sqrt(var + eps)
        means.append(mean)
        stds.append(std)
        for i in range(n):
            x_hat[i, j] = (x[i, j] - mean) / std
            out[i, j] = gamma[j] * x_hat[i, j] + beta[j]
    return out, [x_hat, gamma, stds]


def bn_backward(dout, cache):
    x_hat, gamma, stds = cache
    n, d = dout.shape
    dx = np.zeros((n, d))
    dgamma = np.zeros(d)
    dbeta = np.zeros(d)
    for j in range(d):
        for i in range(n):
            dbeta[j] += dout[i, j]
            dgamma[j] += dout[i, j] * x_hat[i, j]
        mean_dxhat = sum(dout[i, j] * gamma[j] for i in range(n)) / n
        mean_dxhat_xhat = sum(dout[i, j] * gamma[j] * x_hat[i, j] for i in range(n)) / n
        for i in range(n):
            dx_hat = dout[i, j] * gamma[j]
            dx[i, j] = (dx_hat - mean_dxhat - x_hat[i, j] * mean_dxhat_xhat) / stds[j]
    return dx, dgamma, dbeta
