# Starter code for Discussion 2, one cell per "# %% part <id>" marker (grader otter build makes
# the student notebook from it). Names and shapes: the course contract. No answers here.

# %% setup
import numpy as np

# %% part 1y
def relu_net(x, W1, b1, W2, b2):
    """y = W2 · max(0, W1·x + b1) + b2. x, b2 scalars; W1, b1 (k, 1); W2 (1, k). Returns a scalar."""
    ...

# %% part 1a
def dy_db2(x, W1, b1, W2, b2):
    """∂y/∂b2, a scalar."""
    ...

# %% part 1b
def dy_dW2(x, W1, b1, W2, b2):
    """∂y/∂W2, the shape of W2: entry i is ∂y/∂w_i^(2)."""
    ...

# %% part 1c
def dy_db1(x, W1, b1, W2, b2):
    """∂y/∂b1, the shape of b1."""
    ...

# %% part 1d
def dy_dW1(x, W1, b1, W2, b2):
    """∂y/∂W1, the shape of W1."""
    ...

# %% part 2a
def y_hat(x, W1, b1, W2, b2):
    """ŷ = σ(W2 · ReLU(W1·x + b1) + b2 + x), a scalar."""
    ...


def forward(x, y, W1, b1, W2, b2):
    """Returns (J, cache): the binary cross-entropy loss and whatever backward needs."""
    ...

# %% part 2b
def backward(cache):
    """Returns a dict with entries "W2", "b2" (part 2b) and "W1", "b1", "x" (part 2c):
    the gradients of J, each the shape of its variable."""
    ...

# %% part 3a
def ridge_map(X, y, lam):
    """The MAP estimate ŵ, shape (d,). Prior w ~ N(0, I); Y = X·w + √λ·N."""
    ...

# %% part 3b
def log_posterior(w, X, y, lam):
    """log p(w | y), a scalar, up to an additive constant that does not depend on w."""
    ...
