"""Gradescope's "Export Submissions" as it comes, and the seed it shares with the live autograder.

The export is a zip holding `assignment_<id>_export/`: one `submission_<id>/` folder per
submission and `submission_metadata.yml`, keyed by those folder names, with each submission's
`:submitters:` (`:name:`, `:sid:`, `:email:`). A live run sees `submission_metadata.json`
instead, with `assignment.id` and `users` (ids, names, emails) but no SIDs; the export has no
user ids. What both have is the assignment id and the emails, so a student's seed is made of
those, and `grader batch` on the export grades each student with the seed Gradescope used.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from grader import text
from grader.submissions.files import MAX_BYTES, SUFFIXES, kind

METADATA = "submission_metadata.yml"
EXPORT_NAME = re.compile(r"assignment_(\d+)_export\b")   # also "... (1)", as a second download is named
MAX_WRAPPERS = 3                 # folder levels looked through for the export inside the folder given
METADATA_MAX_BYTES = 512 << 20   # a big class's file, with every submission's results in it
# Bounds on a zip: entries listed, and bytes written in all. Only submission files and the
# metadata are written (the student's code runs from its text alone), each at most MAX_BYTES + 1
# bytes: enough for the reader to refuse an oversized file with its usual message.
MAX_ZIP_ENTRIES = 200_000
MAX_EXTRACTED_BYTES = 8 << 30
MAX_ZIP_DEPTH = 30


class ExportError(Exception):
    """The folder or zip cannot be read as a class; a usage error, with what to do."""


# ---- the seed: grader.submitters.seed_from ------------------------------------------------

def assignment_id(name: str) -> str | None:
    """The id in an export's folder or zip name, `assignment_<id>_export[.zip]`."""
    found = EXPORT_NAME.match(name)
    return found.group(1) if found else None


# ---- the metadata -----------------------------------------------------------------------------

def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _read_bounded(path: Path, limit: int) -> bytes:
    shown = text.line(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise ExportError(f"cannot read {shown} ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ExportError(f"{shown} is {kind(info.st_mode)}, not a file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ExportError(f"{shown} is larger than {limit >> 20} MiB")
    return data


def has_metadata(root: Path) -> bool:
    return _regular_file(root / METADATA)


def read_submitters(root: Path) -> dict[str, list[dict]] | None:
    """Folder name -> its submitters as the file has them (`name`, `email`, `sid`, unsanitised:
    the seed is made of them), or None when root holds no submission_metadata.yml. A file that
    is there but cannot be read is an error: names and seeds depend on it."""
    path = root / METADATA
    if not has_metadata(root):
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: a big class's file in seconds
    try:
        data = yaml.load(_read_bounded(path, METADATA_MAX_BYTES).decode("utf-8"), Loader=loader)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ExportError(f"{text.line(str(path))} is not readable YAML: {text.line(str(err))[:300]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ExportError(f"{text.line(str(path))} does not map submission folders to their submitters")
    found = {}
    for folder, meta in data.items():
        submitters = meta.get(":submitters", meta.get("submitters")) if isinstance(meta, dict) else None
        found[str(folder)] = [
            {key: "" if person.get(f":{key}", person.get(key)) is None else str(person.get(f":{key}", person.get(key)))
             for key in ("name", "email", "sid")}
            for person in (submitters if isinstance(submitters, list) else []) if isinstance(person, dict)]
    return found


# ---- where the export is ----------------------------------------------------------------------

def locate(folder: Path, depth: int = 0) -> Path | None:
    """The export folder at or below `folder`: folder itself when it holds submission_metadata.yml;
    else its one sub-folder named assignment_<id>_export or holding that file; else, when folder
    holds a single folder and nothing else (what unzipping into a folder makes), the export
    inside that. None when there is none (a plain class folder). Links are not followed."""
    if _regular_file(folder / METADATA):
        return folder
    if depth >= MAX_WRAPPERS:
        return None
    try:
        with os.scandir(folder) as listing:
            entries = [e for e in listing if not e.name.startswith(".")]
    except OSError as err:
        raise ExportError(f"cannot list {text.line(str(folder))} ({err.strerror})") from None
    folders = [e for e in entries if e.is_dir(follow_symlinks=False)]
    exports = [Path(e.path) for e in folders
               if EXPORT_NAME.match(e.name) or _regular_file(Path(e.path) / METADATA)]
    if len(exports) > 1:
        names = ", ".join(text.line(p.name) for p in sorted(exports)[:5])
        raise ExportError(f"{text.line(str(folder))} holds {len(exports)} Gradescope exports ({names}); "
                          "grade one at a time")
    if exports:
        return locate(exports[0], depth + 1) or exports[0]
    if len(entries) == 1 and folders:
        return locate(Path(folders[0].path), depth + 1)
    return None


# ---- the zip ----------------------------------------------------------------------------------

@dataclass
class Extracted:
    files: int = 0
    skipped: list[str] = field(default_factory=list)    # what was refused, and why


def _parts(name: str) -> tuple[str, ...] | None:
    """The names of a member's path, or None when it would leave the folder it is unpacked in."""
    if name.startswith("/") or "\x00" in name:
        return None
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        return None
    return parts


def extract(zip_path: Path, into: Path) -> Extracted:
    """Unpack a Gradescope export zip into `into` (a fresh folder): only .py and .ipynb files and
    submission_metadata.yml, the rest is not needed. No member may leave `into` (absolute paths and
    `..` are refused), no link or special file is made, sizes are counted as written (a
    header's sizes may lie), and entries, depth and bytes are bounded."""
    shown = text.line(str(zip_path))
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ExportError(f"{shown} is not a readable zip file ({text.line(str(err))})") from None
    done, written = Extracted(), 0
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_ENTRIES:
            raise ExportError(f"{shown} holds more than {MAX_ZIP_ENTRIES} entries; unzip it yourself "
                              "and grade the folder")
        for info in members:
            parts, mode = _parts(info.filename), info.external_attr >> 16
            name = text.line(info.filename)
            if parts is None:
                done.skipped.append(f"{name} (a path outside the export)")
                continue
            if info.is_dir() or not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            wanted = parts[-1] == METADATA or parts[-1].endswith(SUFFIXES)
            if not wanted:
                continue
            if mode and not stat.S_ISREG(mode):
                done.skipped.append(f"{name} ({kind(mode)})")
                continue
            if len(parts) > MAX_ZIP_DEPTH:
                done.skipped.append(f"{name} (nested more than {MAX_ZIP_DEPTH} levels deep)")
                continue
            limit = METADATA_MAX_BYTES if parts[-1] == METADATA else MAX_BYTES + 1
            try:
                written += _write_member(archive, info, into, parts, limit)
            except _Skip as why:
                done.skipped.append(f"{name} ({why})")
                continue
            done.files += 1
            if written > MAX_EXTRACTED_BYTES:
                raise ExportError(f"{shown} unpacks to more than {MAX_EXTRACTED_BYTES >> 30} GiB of "
                                  "submissions; unzip it yourself and grade the folder")
    return done


class _Skip(Exception):
    pass


def _write_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path,
                  parts: tuple[str, ...], limit: int) -> int:
    """Write one member, at most `limit` bytes; returns how many were written."""
    target = into.joinpath(*parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: a name given twice keeps its first file; O_NOFOLLOW: nothing here is a link anyway
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise _Skip("named twice in the zip; the first kept") from None
    except OSError as err:
        raise _Skip(err.strerror or "cannot be written") from None
    size = 0
    try:
        with os.fdopen(fd, "wb") as sink, archive.open(info) as member:
            while size < limit:
                chunk = member.read(min(1 << 20, limit - size))
                if not chunk:
                    break
                sink.write(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError, OSError) as err:
        os.unlink(target)
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            raise ExportError("no space left to unpack the zip; set TMPDIR to a larger disk") from None
        raise _Skip(f"cannot be unpacked: {text.line(str(err))[:120]}") from None
    return size


@contextlib.contextmanager
def opened(path: Path) -> Iterator[tuple[Path, Extracted | None]]:
    """The folder to grade: `path` itself, or a zip unpacked into a temporary folder that is
    removed afterwards, whatever happens."""
    if not path.is_file():
        yield path, None
        return
    if not zipfile.is_zipfile(path):
        raise ExportError(f"{text.line(str(path))} is a file but not a zip: give a folder of submissions "
                          "or Gradescope's export zip")
    temporary = Path(tempfile.mkdtemp(prefix="grader-export-"))
    try:
        done = extract(path, temporary)
        yield temporary, done
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
