# Softmax, cross-entropy and batch norm, vectorised with NumPy (one or two lines each).
import numpy as np


def softmax(Z):
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(z, label):
    shifted = z - z.max()
    return float(np.log(np.exp(shifted).sum()) - shifted[label])


def cross_entropy_grad(z, label):
    return softmax(z) - np.eye(len(z))[label]


def bn_forward(x, gamma, beta, eps):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, {"x": x, "x_hat": x_hat, "gamma": gamma, "std": np.sqrt(var + eps)}


def bn_backward(dout, cache):
    x_hat, gamma, std = cache["x_hat"], cache["gamma"], cache["std"]
    n = dout.shape[0]
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
