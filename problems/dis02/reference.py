"""The answers to Discussion 2, run only in the judge. Never shipped in the student kit.

REFERENCES lists equally right answer sets: at a ReLU kink (z1_i exactly 0) the contract accepts
either one-sided derivative, so there is one set per choice of ReLU'(0).
"""
import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference(relu_slope_at_zero: float) -> dict:
    def relu_grad(z):
        return np.where(z > 0, 1.0, np.where(z < 0, 0.0, relu_slope_at_zero))

    # Problem 1: y = W2 relu(W1 x + b1) + b2
    def hidden_pre(x, W1, b1):
        return W1 * x + b1

    def hidden_act(x, W1, b1):
        return np.maximum(0.0, hidden_pre(x, W1, b1))

    def relu_net(x, W1, b1, W2, b2):
        return (W2 @ hidden_act(x, W1, b1)).item() + b2

    def dy_db2(x, W1, b1, W2, b2):
        return 1.0

    def dy_dW2(x, W1, b1, W2, b2):
        return hidden_act(x, W1, b1).T

    def dy_db1(x, W1, b1, W2, b2):
        return W2.T * relu_grad(hidden_pre(x, W1, b1))

    def dy_dW1(x, W1, b1, W2, b2):
        return dy_db1(x, W1, b1, W2, b2) * x

    # Problem 2: the skip connection adds x before the sigmoid; J is binary cross-entropy
    def output_pre(x, W1, b1, W2, b2):
        return relu_net(x, W1, b1, W2, b2) + x

    def y_hat(x, W1, b1, W2, b2):
        return float(_sigmoid(output_pre(x, W1, b1, W2, b2)))

    def forward(x, y, W1, b1, W2, b2):
        z1 = hidden_pre(x, W1, b1)
        p = y_hat(x, W1, b1, W2, b2)
        J = -y * np.log(p) - (1 - y) * np.log(1 - p)
        return float(J), {"x": x, "y": y, "W1": W1, "W2": W2, "z1": z1, "y_hat": p}

    def backward(cache):
        c = cache
        dz2 = c["y_hat"] - c["y"]
        dz1 = c["W2"].T * dz2 * relu_grad(c["z1"])
        return {"W2": dz2 * np.maximum(0.0, c["z1"]).T, "b2": dz2,
                "W1": dz1 * c["x"], "b1": dz1, "x": (c["W1"].T @ dz1).item() + dz2}

    # Problem 3: prior w ~ N(0, I), noise variance lam
    def ridge_map(X, y, lam):
        return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)

    def log_posterior(w, X, y, lam):
        r = y - X @ w
        return float(-(r @ r) / (2 * lam) - (w @ w) / 2)

    return {name: fn for name, fn in locals().items() if callable(fn) and name != "relu_grad"}


REFERENCES = [reference(0.0), reference(1.0)]
