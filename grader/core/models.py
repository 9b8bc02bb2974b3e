"""The spec's and the score document's models: plain dataclasses, validated by pydantic where a
file is read.

Why not pydantic models: importing pydantic and building its validators costs about 90 ms, more
than NumPy's whole import, and `grader check` on one file needs neither (benchmarks/check_time.py).
So the classes are dataclasses, and pydantic, imported only by `validate`, checks them against
their annotations (a TypeAdapter per class, which also runs each class's __post_init__ checks).
`build` turns data pydantic has already validated (a cached file, grader.core.validated) back
into the same objects without it.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing

FIELD_KEY = "description"   # a field's words, for docs/authoring.md


class Invalid(ValueError):
    """Data that does not fit its model; the message is pydantic's, a line or two per problem.
    `where` and `why` are the first problem's location ("parts.0.score") and words."""

    def __init__(self, message: str, where: str = "", why: str = ""):
        super().__init__(message)
        self.where, self.why = where, why


def strict(cls):
    """A model read from a file a person wrote: frozen, keyword-only, and an unknown key is refused,
    so a typo is an error rather than a setting silently ignored."""
    cls.__pydantic_config__ = {"extra": "forbid"}
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)


def described(words: str, **kwargs):
    """A field with its description (the docs' table reads it)."""
    return dataclasses.field(metadata={FIELD_KEY: words}, **kwargs)


def at_least(model, name: str, low: float, *, strictly: bool = False) -> None:
    """A __post_init__ bound (pydantic's ge/gt, kept here so the annotation stays a plain type)."""
    value = getattr(model, name)
    if value is not None and (value <= low if strictly else value < low):
        raise ValueError(f"{name} must be {'greater than' if strictly else 'at least'} {low:g}, not {value!r}")


@functools.lru_cache(maxsize=None)
def _adapter(cls):
    from pydantic import TypeAdapter   # here: only where a file is validated
    return TypeAdapter(cls)


def validate(cls, data):
    """An instance of `cls` from plain data (parsed TOML or JSON), as pydantic validates it."""
    from pydantic import ValidationError
    try:
        return _adapter(cls).validate_python(data)
    except ValidationError as err:
        first = err.errors()[0]
        raise Invalid(str(err), ".".join(str(p) for p in first["loc"]), first["msg"]) from None


def plain(model) -> dict:
    """A model as JSON-ready data (what `build` takes back)."""
    return dataclasses.asdict(model)


def build(kind, data):
    """`data` (from `plain`, through JSON) as `kind` again, without validating it: only for data
    that pydantic validated against the same classes."""
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{name: build(hints[name], value) for name, value in data.items()})
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        return [build(args[0], item) for item in data]
    if origin is dict:
        return {key: build(args[1], item) for key, item in data.items()}
    if origin in (typing.Union, types.UnionType):
        return build(_option(args, data), data)
    if kind is float and type(data) is int:
        return float(data)
    return data


def _option(options: tuple, data):
    """Which type of a union `data` is: the one model whose keys it has, the one list or dict
    type, or a scalar type (its own, else float for an int, as pydantic's lax mode)."""
    if data is None and type(None) in options:
        return type(None)
    if isinstance(data, dict):
        (kind,) = [a for a in options if typing.get_origin(a) is dict
                   or (dataclasses.is_dataclass(a) and _fits(a, data))]
    elif isinstance(data, list):
        (kind,) = [a for a in options if typing.get_origin(a) is list]
    else:
        kind = next((a for a in options if a is type(data)), float if float in options else object)
    return kind


def _fits(cls, data: dict) -> bool:
    names = {f.name for f in dataclasses.fields(cls)}
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    return required <= set(data) <= names


@functools.lru_cache(maxsize=None)
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)
