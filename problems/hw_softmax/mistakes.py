"""Common wrong answers to the softmax, cross-entropy and batch-norm homework, for the hints in
spec.toml. Run only in the judge, like reference.py (each is the right answer with one slip, so
it gives the answer away): never shipped in the student kit.
"""
import numpy as np


def _softmax(Z):
    e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


# ---- softmax
def softmax_over_columns(Z):
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def softmax_over_everything(Z):
    e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))    # each row shifted, one sum for all
    return e / np.sum(e)


# ---- cross-entropy
def cross_entropy_positive_log(z, label):
    return float(np.log(_softmax(z)[label]))


def cross_entropy_without_normaliser(z, label):
    return float(-z[label])


def cross_entropy_grad_without_one_hot(z, label):
    return _softmax(z)


def cross_entropy_grad_wrong_sign(z, label):
    grad = -_softmax(z)
    grad[label] += 1.0
    return grad


# ---- batch norm, forward
def _standardize(x, eps, ddof=0, axis=0):
    return (x - x.mean(axis=axis, keepdims=True)) / np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + eps)


def bn_out_unbiased(x, gamma, beta, eps):
    return gamma * _standardize(x, eps, ddof=1) + beta


def bn_out_over_features(x, gamma, beta, eps):
    return gamma * _standardize(x, eps, axis=1) + beta


def bn_out_without_affine(x, gamma, beta, eps):
    return _standardize(x, eps)


# ---- batch norm, backward: the gradients given dout
def bn_dx_without_statistics(dout, x, gamma, beta, eps):
    """dx as if the mean and variance were constants."""
    return dout * gamma / np.sqrt(x.var(axis=0) + eps)


def bn_dx_without_mean_term(dout, x, gamma, beta, eps):
    """The variance's path kept, the mean's direct path (-mean of dx_hat) left out."""
    n, x_hat = len(x), _standardize(x, eps)
    dx_hat = dout * gamma
    return (n * dx_hat - x_hat * (dx_hat * x_hat).sum(axis=0)) / (n * np.sqrt(x.var(axis=0) + eps))


def bn_dgamma_not_summed(dout, x, gamma, beta, eps):
    return dout * _standardize(x, eps)


def bn_dgamma_with_x(dout, x, gamma, beta, eps):
    return (dout * x).sum(axis=0)


def bn_dbeta_not_summed(dout, x, gamma, beta, eps):
    return dout


MISTAKES = [{name: fn for name, fn in dict(globals()).items()
             if callable(fn) and name.startswith(("softmax_", "cross_entropy_", "bn_"))}]
