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

    # |z| for the ReLU, and its slope sign(z) in the derivatives
    def y_relu_abs(x, W1, b1, W2, b2):
        return (W2 @ np.abs(W1 * x + b1)).item() + b2

    def dy_dW2_relu_abs(x, W1, b1, W2, b2):
        return np.abs(W1 * x + b1).T

    def dy_db1_relu_abs(x, W1, b1, W2, b2):
        return W2.T * np.sign(W1 * x + b1)

    def dy_dW1_relu_abs(x, W1, b1, W2, b2):
        return W2.T * np.sign(W1 * x + b1) * x

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

    def _backprop(x, W1, b1, W2, dz2, act, slope):
        """Every gradient of J from dJ/dz2, the hidden layer's activation and its slope."""
        z1 = W1 * x + b1
        dz1 = W2.T * dz2 * slope(z1)
        return {"W2": dz2 * act(z1).T, "b2": dz2, "W1": dz1 * x, "b1": dz1,
                "x": (W1.T @ dz1).item() + dz2}

    def _relu(z):
        return np.maximum(0.0, z)

    # dJ/dz2 = z2 - y: the sigmoid left out (the squared error's gradient on z2)
    def _dz2_without_sigmoid(x, y, W1, b1, W2, b2):
        return _backprop(x, W1, b1, W2, _z2(x, W1, b1, W2, b2) - y, _relu, mask)

    def dJ_dW2_dz2_without_sigmoid(x, y, W1, b1, W2, b2):
        return _dz2_without_sigmoid(x, y, W1, b1, W2, b2)["W2"]

    def dJ_db2_dz2_without_sigmoid(x, y, W1, b1, W2, b2):
        return _dz2_without_sigmoid(x, y, W1, b1, W2, b2)["b2"]

    def dJ_dW1_dz2_without_sigmoid(x, y, W1, b1, W2, b2):
        return _dz2_without_sigmoid(x, y, W1, b1, W2, b2)["W1"]

    def dJ_db1_dz2_without_sigmoid(x, y, W1, b1, W2, b2):
        return _dz2_without_sigmoid(x, y, W1, b1, W2, b2)["b1"]

    def dJ_dx_dz2_without_sigmoid(x, y, W1, b1, W2, b2):
        return _dz2_without_sigmoid(x, y, W1, b1, W2, b2)["x"]

    # dJ/dz2 = (y_hat - y) y_hat (1 - y_hat): the sigmoid's slope multiplied in a second time
    def _dz2_extra_sigmoid_slope(x, y, W1, b1, W2, b2):
        p = float(_sigmoid(_z2(x, W1, b1, W2, b2)))
        return _backprop(x, W1, b1, W2, (p - y) * p * (1 - p), _relu, mask)

    def dJ_dW2_extra_sigmoid_slope(x, y, W1, b1, W2, b2):
        return _dz2_extra_sigmoid_slope(x, y, W1, b1, W2, b2)["W2"]

    def dJ_db2_extra_sigmoid_slope(x, y, W1, b1, W2, b2):
        return _dz2_extra_sigmoid_slope(x, y, W1, b1, W2, b2)["b2"]

    def dJ_dW1_extra_sigmoid_slope(x, y, W1, b1, W2, b2):
        return _dz2_extra_sigmoid_slope(x, y, W1, b1, W2, b2)["W1"]

    def dJ_db1_extra_sigmoid_slope(x, y, W1, b1, W2, b2):
        return _dz2_extra_sigmoid_slope(x, y, W1, b1, W2, b2)["b1"]

    def dJ_dx_extra_sigmoid_slope(x, y, W1, b1, W2, b2):
        return _dz2_extra_sigmoid_slope(x, y, W1, b1, W2, b2)["x"]

    # |z| for the ReLU in forward (y_hat, J, the cache), its slope sign(z) in backward
    def _z2_relu_abs(x, W1, b1, W2, b2):
        return (W2 @ np.abs(W1 * x + b1)).item() + b2 + x

    def y_hat_relu_abs(x, W1, b1, W2, b2):
        return float(_sigmoid(_z2_relu_abs(x, W1, b1, W2, b2)))

    def J_relu_abs(x, y, W1, b1, W2, b2):
        p = y_hat_relu_abs(x, W1, b1, W2, b2)
        return float(-y * np.log(p) - (1 - y) * np.log(1 - p))

    def _relu_abs(x, y, W1, b1, W2, b2):
        return _backprop(x, W1, b1, W2, y_hat_relu_abs(x, W1, b1, W2, b2) - y, np.abs, np.sign)

    def dJ_dW2_relu_abs(x, y, W1, b1, W2, b2):
        return _relu_abs(x, y, W1, b1, W2, b2)["W2"]

    def dJ_db2_relu_abs(x, y, W1, b1, W2, b2):
        return _relu_abs(x, y, W1, b1, W2, b2)["b2"]

    def dJ_dW1_relu_abs(x, y, W1, b1, W2, b2):
        return _relu_abs(x, y, W1, b1, W2, b2)["W1"]

    def dJ_db1_relu_abs(x, y, W1, b1, W2, b2):
        return _relu_abs(x, y, W1, b1, W2, b2)["b1"]

    def dJ_dx_relu_abs(x, y, W1, b1, W2, b2):
        return _relu_abs(x, y, W1, b1, W2, b2)["x"]

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

    def w_two_lam(X, y, lam):
        return _solve(X, y, 2 * lam)

    def w_unpenalized_intercept(X, y, lam):
        # centring X and y (or a column of ones left out of the penalty) fits an intercept
        # the model does not have; w is the same either way
        return _solve(X - X.mean(axis=0), y - y.mean(), lam)

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

    def log_posterior_prior_without_half(w, X, y, lam):
        residual, size = _parts(w, X, y)
        return -residual / (2 * lam) - size

    return {name: fn for name, fn in locals().items()
            if callable(fn) and not name.startswith("_") and name != "mask"}


MISTAKES = [mistakes(0.0), mistakes(1.0)]
