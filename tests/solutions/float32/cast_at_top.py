"""Correct formulas, computed in float32: every function casts its inputs first.

Style under test: `W1 = W1.astype(np.float32)` at the top of each function and
`np.float32(...)` for the scalars, so every result is float32 (NumPy scalars of
type float32, float32 arrays in the backward dict and from ridge_map).
"""
import numpy as np

f32 = np.float32


def _sigmoid(t):
    return f32(1) / (f32(1) + np.exp(-t))


def relu_net(x, W1, b1, W2, b2):
    W1, b1, W2 = W1.astype(np.float32), b1.astype(np.float32), W2.astype(np.float32)
    x, b2 = f32(x), f32(b2)
    a = np.maximum(W1 * x + b1, 0)
    return (W2 @ a)[0, 0] + b2


def dy_db2(x, W1, b1, W2, b2):
    return f32(1.0)


def dy_dW2(x, W1, b1, W2, b2):
    W1, b1 = W1.astype(np.float32), b1.astype(np.float32)
    return np.maximum(W1 * f32(x) + b1, 0).T


def dy_db1(x, W1, b1, W2, b2):
    W1, b1, W2 = W1.astype(np.float32), b1.astype(np.float32), W2.astype(np.float32)
    return W2.T * (W1 * f32(x) + b1 > 0)


def dy_dW1(x, W1, b1, W2, b2):
    W1, b1, W2 = W1.astype(np.float32), b1.astype(np.float32), W2.astype(np.float32)
    x = f32(x)
    return W2.T * (W1 * x + b1 > 0) * x


def y_hat(x, W1, b1, W2, b2):
    W1, b1, W2 = W1.astype(np.float32), b1.astype(np.float32), W2.astype(np.float32)
    x, b2 = f32(x), f32(b2)
    z2 = (W2 @ np.maximum(W1 * x + b1, 0))[0, 0] + b2 + x
    return _sigmoid(z2)


def forward(x, y, W1, b1, W2, b2):
    W1, b1, W2 = W1.astype(np.float32), b1.astype(np.float32), W2.astype(np.float32)
    x, y, b2 = f32(x), f32(y), f32(b2)
    z1 = W1 * x + b1
    a1 = np.maximum(z1, 0)
    z2 = (W2 @ a1)[0, 0] + b2 + x
    yh = _sigmoid(z2)
    J = -y * np.log(yh) - (1 - y) * np.log(1 - yh)
    return J, {"x": x, "y": y, "W1": W1, "W2": W2, "z1": z1, "a1": a1, "yh": yh}


def backward(cache):
    dz2 = cache["yh"] - cache["y"]
    dz1 = cache["W2"].T * dz2 * (cache["z1"] > 0)
    return {"W2": dz2 * cache["a1"].T, "b2": dz2, "W1": dz1 * cache["x"], "b1": dz1,
            "x": (cache["W1"].T @ dz1)[0, 0] + dz2}


def ridge_map(X, y, lam):
    X, y, lam = X.astype(np.float32), y.astype(np.float32), f32(lam)
    d = X.shape[1]
    return np.linalg.solve(X.T @ X + lam * np.eye(d, dtype=np.float32), X.T @ y)


def log_posterior(w, X, y, lam):
    w, X, y, lam = w.astype(np.float32), X.astype(np.float32), y.astype(np.float32), f32(lam)
    r = y - X @ w
    return -(r @ r) / (2 * lam) - (w @ w) / 2
