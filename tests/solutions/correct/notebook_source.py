"""The code of notebook.ipynb as a plain Python file (a cross-check).

Same functions, same bodies; the notebook's noise (a magic, a shell escape,
a Colab-only import) is left out and its self-test cell runs only as a script.
"""
import numpy as np


def relu(z):
    return np.maximum(0, z)


def relu_net(x, W1, b1, W2, b2):
    h = relu(np.dot(W1, x) + b1)
    return np.dot(W2, h)[0, 0] + b2


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    h = relu(np.dot(W1, x) + b1)
    return np.transpose(h)


def dy_db1(x, W1, b1, W2, b2):
    dh = (np.dot(W1, x) + b1 > 0).astype(float)
    return np.transpose(W2) * dh


def dy_dW1(x, W1, b1, W2, b2):
    dh = (np.dot(W1, x) + b1 > 0).astype(float)
    return np.transpose(W2) * dh * x


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def y_hat(x, W1, b1, W2, b2):
    return sigmoid(relu_net(x, W1, b1, W2, b2) + x)


def forward(x, y, W1, b1, W2, b2):
    z1 = np.dot(W1, x) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1)[0, 0] + b2 + x
    yhat = sigmoid(z2)
    J = -y * np.log(yhat) - (1 - y) * np.log(1 - yhat)
    cache = (x, y, W1, b1, W2, b2, z1, a1, z2, yhat)
    return J, cache


def backward(cache):
    x, y, W1, b1, W2, b2, z1, a1, z2, yhat = cache
    dz2 = yhat - y
    grads = {}
    grads["W2"] = dz2 * a1.T
    grads["b2"] = dz2
    dz1 = np.dot(W2.T, dz2) * (z1 > 0)
    grads["W1"] = dz1 * x
    grads["b1"] = dz1
    grads["x"] = np.dot(W1.T, dz1)[0, 0] + dz2
    return grads


def ridge_map(X, y, lam):
    d = X.shape[1]
    return np.linalg.inv(X.T.dot(X) + lam * np.identity(d)).dot(X.T).dot(y)


def log_posterior(w, X, y, lam):
    return -np.linalg.norm(y - X.dot(w)) ** 2 / (2 * lam) - np.linalg.norm(w) ** 2 / 2


if __name__ == "__main__":
    # quick self-test against a finite difference
    rng = np.random.default_rng(0)
    W1, b1, W2 = rng.normal(size=(3, 1)), rng.normal(size=(3, 1)), rng.normal(size=(1, 3))
    J, cache = forward(0.7, 1, W1, b1, W2, 0.1)
    g = backward(cache)
    eps = 1e-6
    num = (forward(0.7 + eps, 1, W1, b1, W2, 0.1)[0] - forward(0.7 - eps, 1, W1, b1, W2, 0.1)[0]) / (2 * eps)
    print("J =", J, " dJ/dx =", g["x"], " numeric:", num)
