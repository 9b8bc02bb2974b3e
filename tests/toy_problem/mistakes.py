def grad_with_abs(a, t):
    return 3 * a * t * abs(t)


MISTAKES = [{"grad_with_abs": grad_with_abs}]
