"""Files read as models (spec.toml, a kit's vectors.json): validated by pydantic
(grader.core.models) and, for `grader check` only, kept once validated as JSON in the folder's
`__pycache__`, so that the next check builds them without importing pydantic (about 90 ms).

Like Python's own .pyc files: the key hashes the file's bytes and the source of the models that
validated it, so an edit to either is a miss. A folder that cannot be written (a kit installed
for everyone on a shared JupyterHub) keeps its copy in the user's cache folder instead
($XDG_CACHE_HOME/grader, else ~/.cache/grader), under a name of the folder's own; where neither
can be written, nothing is cached. Only `grader check` asks for the cache; a batch, `grader lint`, a kit's build and the
platforms validate the file every time, so an instructor's grading never rests on a cached copy.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Callable

from grader.core import atomic, models

FOLDER = "__pycache__"


def load(path: Path, model: type, parse: Callable[[bytes], object], cached: bool = False):
    """The file as `model`. Raises OSError (unreadable), models.Invalid (does not fit), and
    whatever `parse` raises on text that is not its format."""
    text = path.read_bytes()
    places = _places(path, text, model) if cached else []
    for place in places:
        try:
            return models.build(model, json.loads(place.read_bytes()))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):   # absent, or not ours
            continue
    value = models.validate(model, parse(text))
    if places:
        _keep(path.name, places, json.dumps(models.plain(value)))
    return value


def store(path: Path, model: type, parse: Callable[[bytes], object]) -> Path:
    """Validate the file and keep its copy beside it, where a build ships it (a student kit's
    wheel, so that even a kit installed where its student cannot write checks without pydantic,
    and pip's uninstall removes the copy). Raises as load does, and OSError."""
    text = path.read_bytes()
    target = _places(path, text, model)[0]
    if not _put(target, json.dumps(models.plain(models.validate(model, parse(text))))):
        raise OSError(f"could not write {target}")
    return target


def _places(path: Path, text: bytes, model: type) -> list[Path]:
    """Where the copy may be: beside the file, then in the user's cache folder."""
    digest = hashlib.sha256(text)
    for source in _sources(model):
        digest.update(source)
    name = f"{path.name}.{digest.hexdigest()[:24]}.json"
    places = [path.parent / FOLDER / name]
    try:
        user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "grader"
    except RuntimeError:   # no home folder to be found
        return places
    return places + [user / hashlib.sha256(str(path.parent.resolve()).encode()).hexdigest()[:16] / name]


@functools.lru_cache(maxsize=None)
def _sources(model: type) -> tuple[bytes, bytes]:
    """The source of the code that validates `model` (read once): a change to it is a new key."""
    return tuple(Path(module.__file__).read_bytes() for module in (models, sys.modules[model.__module__]))


def _keep(name: str, places: list[Path], data: str) -> None:
    """Best effort: data in the first place that takes it; older keys of the file go from there."""
    for target in places:
        if _put(target, data):
            for old in target.parent.glob(f"{name}.*.json"):
                if old != target:
                    old.unlink(missing_ok=True)
            return


def _put(target: Path, data: str) -> bool:
    """Write target whole or not at all; False where it cannot be written."""
    try:
        atomic.write(target, data, durable=False)   # a copy lost to a crash is only made again
        return True
    except OSError:
        return False
