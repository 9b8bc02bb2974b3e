def cube(a, t):
    return a * t ** 3


def grads(a, t):
    return {"t": 3 * a * t ** 2}


REFERENCES = [{"cube": cube, "grads": grads}]
