"""Problems 1-3. Ridge via a Cholesky solve from SciPy (a habit from linear-algebra class)."""
import numpy as np
import scipy.linalg as sla
from scipy.special import expit
from sklearn.datasets import make_regression

X_demo, y_demo = make_regression(n_samples=50, n_features=4, noise=0.1, random_state=0)


def relu_net(x, W1, b1, W2, b2):
    return (W2 @ np.maximum(W1 * x + b1, 0)).item() + b2


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    return np.maximum(W1 * x + b1, 0).T


def dy_db1(x, W1, b1, W2, b2):
    return W2.T * (W1 * x + b1 > 0)


def dy_dW1(x, W1, b1, W2, b2):
    return W2.T * (W1 * x + b1 > 0) * x


def y_hat(x, W1, b1, W2, b2):
    return 1 / (1 + np.exp(-(relu_net(x, W1, b1, W2, b2) + x)))


def forward(x, y, W1, b1, W2, b2):
    z1 = W1 * x + b1
    a1 = np.maximum(z1, 0)
    p = 1 / (1 + np.exp(-((W2 @ a1).item() + b2 + x)))
    return -y * np.log(p) - (1 - y) * np.log(1 - p), (x, y, W1, W2, z1, a1, p)


def backward(cache):
    x, y, W1, W2, z1, a1, p = cache
    g = p - y
    d1 = W2.T * g * (z1 > 0)
    return {"W2": g * a1.T, "b2": g, "W1": d1 * x, "b1": d1, "x": (W1.T @ d1).item() + g}


def ridge_map(X, y, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    c, low = sla.cho_factor(A)
    return sla.cho_solve((c, low), X.T @ y)


def log_posterior(w, X, y, lam):
    r = y - X @ w
    return -r @ r / (2 * lam) - w @ w / 2


print(ridge_map(X_demo, y_demo, 1.0))
