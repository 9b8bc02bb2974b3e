"""EECS 182 Discussion 2 -- my solutions.

Run this file to see the sanity checks and the plots for Problem 1.
"""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import seaborn as sns
from tqdm import tqdm
from IPython.display import display, Markdown
import numpy as np

sns.set_theme(style="whitegrid")
plt.rcParams["figure.figsize"] = (10, 4)
np.set_printoptions(precision=4, suppress=True)


def relu(z):
    return np.maximum(0, z)


def relu_net(x, W1, b1, W2, b2):
    h = relu(W1 @ np.atleast_2d(x) + b1)
    return (W2 @ h + b2).item()


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    return relu(W1 * x + b1).reshape(1, -1)


def dy_db1(x, W1, b1, W2, b2):
    mask = (W1 * x + b1 > 0).astype(float)
    return W2.reshape(-1, 1) * mask


def dy_dW1(x, W1, b1, W2, b2):
    return dy_db1(x, W1, b1, W2, b2) * x


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def y_hat(x, W1, b1, W2, b2):
    return sigmoid(relu_net(x, W1, b1, W2, b2) + x)


def forward(x, y, W1, b1, W2, b2):
    z1 = W1 * x + b1
    a1 = relu(z1)
    z2 = (W2 @ a1).item() + b2 + x
    p = sigmoid(z2)
    J = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return J, (x, y, W1, W2, z1, a1, p)


def backward(cache):
    x, y, W1, W2, z1, a1, p = cache
    dz2 = p - y
    da1 = W2.T * dz2
    dz1 = da1 * (z1 > 0)
    return {
        "W2": dz2 * a1.T,
        "b2": dz2,
        "W1": dz1 * x,
        "b1": dz1,
        "x": (W1.T @ dz1).item() + dz2,
    }


def ridge_map(X, y, lam):
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def log_posterior(w, X, y, lam):
    return -np.sum((y - X @ w) ** 2) / (2 * lam) - 0.5 * np.dot(w, w)


# Module-level sanity checks and plots, the way many students leave them in.
rng = np.random.default_rng(0)
W1, b1, W2, b2 = rng.normal(size=(3, 1)), rng.normal(size=(3, 1)), rng.normal(size=(1, 3)), 0.5
xs = np.linspace(-3, 3, 201)
fig, axes = plt.subplots(2, 2, sharex=True)
for ax, fn in zip(axes.flat, [dy_db2, dy_dW2, dy_db1, dy_dW1]):
    ax.plot(xs, [np.ravel(fn(x, W1, b1, W2, b2))[0] for x in tqdm(xs, desc=fn.__name__)])
    ax.set_title(fn.__name__)
fig.tight_layout()
plt.savefig("problem1.png", dpi=150)
display(Markdown("**Problem 1 plots saved**"))
