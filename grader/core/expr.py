"""The tiny call language of specs: `backward(forward(x, y, W1, b1, W2, b2)[1])["W2"]`.

Specs name what to compute as text; we parse it with `ast` (never eval) into a JSON tree that the
child evaluates against the student's functions and the judge against the reference's:
  ["input", name] | ["call", function, [args...]] | ["item", tree, int-or-str key]
"""
from __future__ import annotations

import ast
from functools import lru_cache


class ExprError(ValueError):
    pass


def _tree(node: ast.AST, text: str) -> list:
    if isinstance(node, ast.Name):
        return ["input", node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return ["call", node.func.id, [_tree(arg, text) for arg in node.args]]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and type(node.slice.value) in (int, str):
        return ["item", _tree(node.value, text), node.slice.value]
    raise ExprError(f"{text!r}: only names, calls f(a, b) and constant subscripts are allowed")


@lru_cache(maxsize=None)
def parse(text: str) -> list:
    try:
        body = ast.parse(text, mode="eval").body
    except SyntaxError as err:
        raise ExprError(f"{text!r}: {err.msg}") from None
    return _tree(body, text)


def show(tree: list) -> str:
    """Back to text, for messages."""
    if tree[0] == "input":
        return tree[1]
    if tree[0] == "call":
        return f"{tree[1]}({', '.join(show(a) for a in tree[2])})"
    return f"{show(tree[1])}[{tree[2]!r}]"


def functions(tree: list) -> set[str]:
    """The names of the functions an expression calls."""
    if tree[0] == "input":
        return set()
    if tree[0] == "call":
        return {tree[1]}.union(*(functions(a) for a in tree[2]))
    return functions(tree[1])
