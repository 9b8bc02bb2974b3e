# Starter code for the softmax, cross-entropy and batch-norm homework, one cell per
# "# %% part <id>" marker (grader otter build makes the student notebook from it). No answers here.

# %% setup
import numpy as np

# %% part 1a
def softmax(Z):
    """Z has shape (N, C): one row of logits per example. Returns the probabilities, shape
    (N, C), each row summing to 1. Must not overflow for logits in the thousands."""
    ...

# %% part 1b
def cross_entropy(z, label):
    """z has shape (C,); label is an int in [0, C). Returns -log softmax(z)[label], a scalar."""
    ...

# %% part 1c
def cross_entropy_grad(z, label):
    """The gradient of cross_entropy(z, label) with respect to z, shape (C,)."""
    ...

# %% part 2a
def bn_forward(x, gamma, beta, eps):
    """Batch normalization at training time. x has shape (N, D); gamma and beta (D,).
    Returns (out, cache): out has shape (N, D); the cache is whatever bn_backward needs."""
    ...

# %% part 2b
def bn_backward(dout, cache):
    """dout has shape (N, D), the gradient of the loss with respect to out. Returns
    (dx, dgamma, dbeta), shaped as x, gamma and beta."""
    ...
