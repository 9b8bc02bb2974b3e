"""Common wrong answers to Discussion 2, for the hints in spec.toml. Run only in the judge, like
reference.py (each is the right answer with one slip, so it gives the answer away): never
shipped in the student kit.

MISTAKES parallels REFERENCES: one dict per choice of ReLU'(0), so a mistake that keeps the
mask agrees with the student's choice at a kink. A function returning None makes no claim on
that case (ordinary least squares has no unique answer when n < d).
"""
import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mistakes(relu_slope_at_zero: float) -> dict:
    def mask(z):
        return np.where(z > 0, 1.0, np.where(z < 0, 0.0, relu_slope_at_zero))

    # ---- Problem 1: y = W2 relu(W1 x + b1) + b2
    def y_without_relu(x, W1, b1, W2, b2):
        return (W2 @ (W1 * x + b1)).item() + b2

    def dy_dW2_pre_activation(x, W1, b1, W2, b2):
        return (W1 * x + b1).T

    def dy_dW2_relu_slope(x, W1, b1, W2, b2):
        return mask(W1 * x + b1).T

    def dy_db1_without_mask(x, W1, b1, W2, b2):
        return W2.T

    def dy_db1_without_W2(x, W1, b1, W2, b2):
        return mask(W1 * x + b1)

    def dy_db1_mask_without_b1(x, W1, b1, W2, b2):
        return W2.T * mask(W1 * x)

    def dy_dW1_without_x(x, W1, b1, W2, b2):
        return W2.T * mask(W1 * x + b1)

    def dy_dW1_without_mask(x, W1, b1, W2, b2):
        return W2.T * x

    def dy_dW1_mask_without_b1(x, W1, b1, W2, b2):
        return W2.T * mask(W1 * x) * x

    # ---- Problem 2: z1 = W1 x + b1, a1 = relu(z1), z2 = W2 a1 + b2 + x, y_hat = sigmoid(z2)
    def _z2(x, W1, b1, W2, b2):
        return (W2 @ np.maximum(0.0, W1 * x + b1)).item() + b2 + x

    def y_hat_without_skip(x, W1, b1, W2, b2):
        return float(_sigmoid(_z2(x, W1, b1, W2, b2) - x))

    def y_hat_without_sigmoid(x, W1, b1, W2, b2):
        return _z2(x, W1, b1, W2, b2)

    def J_wrong_sign(x, y, W1, b1, W2, b2):
        p = _sigmoid(_z2(x, W1, b1, W2, b2))
        return float(y * np.log(p) + (1 - y) * np.log(1 - p))

    def _dz2(x, y, W1, b1, W2, b2):
        return float(_sigmoid(_z2(x, W1, b1, W2, b2))) - y

    def dJ_db2_without_y(x, y, W1, b1, W2, b2):
        return float(_sigmoid(_z2(x, W1, b1, W2, b2)))

    def dJ_db2_one(x, y, W1, b1, W2, b2):
        return 1.0

    def dJ_dW2_wrong_sign(x, y, W1, b1, W2, b2):
        return -_dz2(x, y, W1, b1, W2, b2) * np.maximum(0.0, W1 * x + b1).T

    def dJ_dW2_pre_activation(x, y, W1, b1, W2, b2):
        return _dz2(x, y, W1, b1, W2, b2) * (W1 * x + b1).T

    def _dz1(x, y, W1, b1, W2, b2, gate):
        return W2.T * _dz2(x, y, W1, b1, W2, b2) * gate

    def dJ_db1_without_mask(x, y, W1, b1, W2, b2):
        return _dz1(x, y, W1, b1, W2, b2, 1.0)

    def dJ_db1_mask_is_a1(x, y, W1, b1, W2, b2):
        return _dz1(x, y, W1, b1, W2, b2, np.maximum(0.0, W1 * x + b1))

    def dJ_dW1_without_mask(x, y, W1, b1, W2, b2):
        return _dz1(x, y, W1, b1, W2, b2, 1.0) * x

    def dJ_dW1_mask_is_a1(x, y, W1, b1, W2, b2):
        return _dz1(x, y, W1, b1, W2, b2, np.maximum(0.0, W1 * x + b1)) * x

    def dJ_dW1_without_x(x, y, W1, b1, W2, b2):
        return _dz1(x, y, W1, b1, W2, b2, mask(W1 * x + b1))

    def dJ_dx_without_skip(x, y, W1, b1, W2, b2):
        return (W1.T @ _dz1(x, y, W1, b1, W2, b2, mask(W1 * x + b1))).item()

    def dJ_dx_only_skip(x, y, W1, b1, W2, b2):
        return _dz2(x, y, W1, b1, W2, b2)

    def dJ_dx_without_mask(x, y, W1, b1, W2, b2):
        return (W1.T @ _dz1(x, y, W1, b1, W2, b2, 1.0)).item() + _dz2(x, y, W1, b1, W2, b2)

    # ---- Problem 3: prior w ~ N(0, I), y | w ~ N(Xw, lam I)
    def _solve(X, y, ridge):
        return np.linalg.solve(X.T @ X + ridge * np.eye(X.shape[1]), X.T @ y)

    def w_least_squares(X, y, lam):
        return _solve(X, y, 0.0) if X.shape[0] >= X.shape[1] else None

    def w_lam_as_precision(X, y, lam):
        return _solve(X, y, 1.0 / lam)

    def w_sqrt_lam(X, y, lam):
        return _solve(X, y, np.sqrt(lam))

    def w_lam_squared(X, y, lam):
        return _solve(X, y, lam ** 2)

    def _parts(w, X, y):
        r = y - X @ w
        return float(r @ r), float(w @ w)

    def log_posterior_without_prior(w, X, y, lam):
        return -_parts(w, X, y)[0] / (2 * lam)

    def log_posterior_likelihood_wrong_sign(w, X, y, lam):
        residual, size = _parts(w, X, y)
        return residual / (2 * lam) - size / 2

    def log_posterior_without_lam(w, X, y, lam):
        residual, size = _parts(w, X, y)
        return -residual / 2 - size / 2

    def log_posterior_lam_as_precision(w, X, y, lam):
        residual, size = _parts(w, X, y)
        return -lam * residual / 2 - size / 2

    def log_posterior_ridge_objective(w, X, y, lam):
        residual, size = _parts(w, X, y)
        return -residual / 2 - lam * size / 2

    def log_posterior_wrong_sign(w, X, y, lam):
        residual, size = _parts(w, X, y)
        return residual / (2 * lam) + size / 2

    return {name: fn for name, fn in locals().items()
            if callable(fn) and not name.startswith("_") and name != "mask"}


MISTAKES = [mistakes(0.0), mistakes(1.0)]
