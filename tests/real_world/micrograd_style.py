"""Problem 2 with a tiny scalar autograd engine (after Karpathy's micrograd), Problems 1 and 3 in NumPy."""
import math

import numpy as np


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


# ---------------------------------------------------------------- Problem 1 (NumPy)

def relu_net(x, W1, b1, W2, b2):
    return float((W2 @ np.maximum(W1 * x + b1, 0)).item() + b2)


def dy_db2(x, W1, b1, W2, b2):
    return 1.0


def dy_dW2(x, W1, b1, W2, b2):
    return np.maximum(W1 * x + b1, 0).T


def dy_db1(x, W1, b1, W2, b2):
    return W2.T * (W1 * x + b1 > 0)


def dy_dW1(x, W1, b1, W2, b2):
    return W2.T * (W1 * x + b1 > 0) * x


# ---------------------------------------------------------------- Problem 2 (autograd)

def y_hat(x, W1, b1, W2, b2):
    return 1.0 / (1.0 + math.exp(-(relu_net(x, W1, b1, W2, b2) + x)))


def forward(x, y, W1, b1, W2, b2):
    k = W1.shape[0]
    params = {"W1": [Value(v) for v in W1.ravel()], "b1": [Value(v) for v in b1.ravel()],
              "W2": [Value(v) for v in W2.ravel()], "b2": Value(b2), "x": Value(x)}
    z1 = [params["W1"][i] * params["x"] + params["b1"][i] for i in range(k)]
    a1 = [z.relu() for z in z1]
    z2 = sum((params["W2"][i] * a1[i] for i in range(k)), params["b2"]) + params["x"]
    p = z2.sigmoid()
    J = -(y * p.log() + (1 - y) * (1 - p).log())
    cache = {"J": J, "params": params, "shapes": {"W1": W1.shape, "b1": b1.shape, "W2": W2.shape},
             "z1": np.array([[z.data] for z in z1]), "y_hat": p.data}
    return J.data, cache


def backward(cache):
    cache["J"].backward()
    grads = {}
    for name in ("W1", "b1", "W2"):
        grads[name] = np.array([v.grad for v in cache["params"][name]]).reshape(cache["shapes"][name])
    grads["b2"] = cache["params"]["b2"].grad
    grads["x"] = cache["params"]["x"].grad
    return grads


# ---------------------------------------------------------------- Problem 3 (NumPy)

def ridge_map(X, y, lam):
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def log_posterior(w, X, y, lam):
    return float(-np.sum((y - X @ w) ** 2) / (2 * lam) - np.sum(w ** 2) / 2)
