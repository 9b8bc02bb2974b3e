"""Files read as models (spec.toml, a kit's vectors.json): validated by pydantic
(grader.core.models) and, for `grader check` only, kept once validated as JSON in the folder's
`__pycache__`, so that the next check builds them without importing pydantic (about 90 ms).

Like Python's own .pyc files: the key hashes the file's bytes and the source of the models that
validated it, so an edit to either is a miss, and a folder that cannot be written is simply not
cached. Only `grader check` asks for the cache; a batch, `grader lint`, a kit's build and the
platforms validate the file every time, so an instructor's grading never rests on a cached copy.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

from grader.core import models

FOLDER = "__pycache__"


def load(path: Path, model: type, parse: Callable[[bytes], object], cached: bool = False):
    """The file as `model`. Raises OSError (unreadable), models.Invalid (does not fit), and
    whatever `parse` raises on text that is not its format."""
    text = path.read_bytes()
    if cached and (found := _read(path, text, model)) is not None:
        return found
    value = models.validate(model, parse(text))
    if cached:
        _write(path, text, model, value)
    return value


def _cache_path(path: Path, text: bytes, model: type) -> Path:
    digest = hashlib.sha256(text)
    for module in (models, sys.modules[model.__module__]):
        digest.update(Path(module.__file__).read_bytes())
    return path.parent / FOLDER / f"{path.name}.{digest.hexdigest()[:24]}.json"


def _read(path: Path, text: bytes, model: type):
    try:
        return models.build(model, json.loads(_cache_path(path, text, model).read_bytes()))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):   # absent, or not ours
        return None


def _write(path: Path, text: bytes, model: type, value) -> None:
    """Best effort: the next check builds `value` from here; older keys of this file go."""
    target = _cache_path(path, text, model)
    try:
        target.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(models.plain(value), out)
        os.replace(temporary, target)
        for old in target.parent.glob(f"{path.name}.*.json"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:   # a read-only install: every check validates, as without a cache
        pass
