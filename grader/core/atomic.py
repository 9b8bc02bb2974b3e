"""A file written whole or not at all: a reader (or a crash mid-write) never sees half of it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write(path: Path, text: str, durable: bool = True) -> None:
    """Replace whatever is at path (its folders made) with text, through a temporary file beside
    it; durable: on disk before it replaces the old one. Raises OSError, leaving no temporary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as sink:
            sink.write(text)
            if durable:
                sink.flush()
                os.fsync(sink.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
