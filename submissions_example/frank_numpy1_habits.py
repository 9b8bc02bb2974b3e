"""Example submission: code written for NumPy 1 (float() of a (1, 1) array) and a stray exit()."""
import numpy as np


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


# ---------------------------------------------------------------- Problem 1
# y = W2 · max(0, W1·x + b1) + b2, with W1, b1 of shape (k, 1) and W2 (1, k).

def relu_net(x, W1, b1, W2, b2):
    z = W1 * x + b1                      # pre-activations, (k, 1)
    a = np.maximum(z, 0.0)               # ReLU
    return float(W2 @ a + b2)   # (1, k) @ (k, 1) -> (1, 1) -> scalar


def dy_db2(x, W1, b1, W2, b2):
    return 1.0                           # b2 enters y with slope 1 for every x


def dy_dW2(x, W1, b1, W2, b2):
    hidden = np.maximum(W1 * x + b1, 0.0)   # dy/dw2_i = a_i
    return hidden.T                          # shape of W2, (1, k)


def dy_db1(x, W1, b1, W2, b2):
    active = (W1 * x + b1 > 0)           # ReLU'(z_i): 1 where unit i is on
    return W2.T * active                 # (k, 1)


def dy_dW1(x, W1, b1, W2, b2):
    gate = (W1 * x + b1 > 0)
    return W2.T * gate * x               # dz_i/dw1_i = x


# ---------------------------------------------------------------- Problem 2
# z1 = W1 x + b1, a1 = ReLU(z1), z2 = W2 a1 + b2 + x, y_hat = sigmoid(z2),
# J = binary cross-entropy of y_hat against the label y.

def y_hat(x, W1, b1, W2, b2):
    hid = np.maximum(W1 * x + b1, 0.0)
    logit = (W2 @ hid).item() + b2 + x   # the skip connection adds x before sigmoid
    return float(_sigmoid(logit))


def forward(x, y, W1, b1, W2, b2):
    z1 = W1 * x + b1
    a1 = np.maximum(z1, 0.0)
    z2 = (W2 @ a1).item() + b2 + x
    yh = float(_sigmoid(z2))
    J = -y * np.log(yh) - (1 - y) * np.log(1 - yh)
    cache = {"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2,
             "z1": z1, "a1": a1, "z2": z2, "y_hat": yh}
    return float(J), cache


def backward(cache):
    # Everything comes from the cache: backward never sees the inputs directly.
    x, y = cache["x"], cache["y"]
    W1, b1, W2, b2 = cache["W1"], cache["b1"], cache["W2"], cache["b2"]
    z1 = cache["z1"]
    a1 = cache["a1"]
    yh = cache["y_hat"]
    dz2 = yh - y                         # dJ/dz2 for sigmoid + cross-entropy
    dW2 = dz2 * a1.T                     # (1, k)
    db2 = dz2
    da1 = W2.T * dz2                     # (k, 1)
    dz1 = da1 * (z1 > 0)                 # ReLU mask
    dW1 = dz1 * x
    db1 = dz1
    dx = (W1.T @ dz1).item() + dz2       # through W1, plus the skip connection
    return {"W2": dW2, "b2": float(db2), "W1": dW1, "b1": db1, "x": float(dx)}


# ---------------------------------------------------------------- Problem 3
# Prior w ~ N(0, I); y | w ~ N(Xw, lam I).

def ridge_map(X, y, lam):
    d = X.shape[1]
    A = X.T @ X + lam * np.eye(d)        # (d, d), positive definite for lam > 0
    return np.linalg.solve(A, X.T @ y)   # (d,)


def log_posterior(w, X, y, lam):
    r = y - X @ w                        # residual, (n,)
    log_lik = -(r @ r) / (2 * lam)       # log N(y; Xw, lam I) without its constant
    log_prior = -(w @ w) / 2             # log N(w; 0, I) without its constant
    return float(log_lik + log_prior)

exit()  # left over from running it as a script
