"""Assignment 2 style: layers with a cache tuple, the backward pass walked through the
computational graph node by node, and thin wrappers with the homework's names."""
import numpy as np


def softmax_loss(x, y):
    """x: (N, C) scores, y: (N,) labels. Returns the mean loss and dx."""
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    out, cache = None, None
    if mode == "train":
        N, D = x.shape
        mu = 1. / N * np.sum(x, axis=0)                      # step 1: mean
        xmu = x - mu                                         # step 2
        sq = xmu ** 2                                        # step 3
        var = 1. / N * np.sum(sq, axis=0)                    # step 4: variance
        sqrtvar = np.sqrt(var + eps)                         # step 5
        ivar = 1. / sqrtvar                                  # step 6
        xhat = xmu * ivar                                    # step 7
        gammax = gamma * xhat                                # step 8
        out = gammax + beta                                  # step 9
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)                             # step 9
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)                  # step 8
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=0)                      # step 7
    dxmu1 = dxhat * ivar
    dsqrtvar = -1. / (sqrtvar ** 2) * divar                  # step 6
    dvar = 0.5 * 1. / np.sqrt(var + eps) * dsqrtvar          # step 5
    dsq = 1. / N * np.ones((N, D)) * dvar                    # step 4
    dxmu2 = 2 * xmu * dsq                                    # step 3
    dx1 = dxmu1 + dxmu2                                      # step 2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1. / N * np.ones((N, D)) * dmu                     # step 1
    dx = dx1 + dx2
    return dx, dgamma, dbeta


# ---- the homework's names
def softmax(Z):
    shifted = Z - np.max(Z, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    return exp_scores / np.sum(exp_scores, axis=1, keepdims=True)


def cross_entropy(z, label):
    loss, _ = softmax_loss(z.reshape(1, -1), np.array([label]))
    return loss


def cross_entropy_grad(z, label):
    _, dx = softmax_loss(z.reshape(1, -1), np.array([label]))
    return dx[0]


def bn_forward(x, gamma, beta, eps):
    return batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})


def bn_backward(dout, cache):
    return batchnorm_backward(dout, cache)
