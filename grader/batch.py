"""Grading a class: find the submissions, grade them in parallel, append each document as it ends.

Layouts of DIR: submission files directly in it; one folder per student holding one `.py` or
`.ipynb`; and a Gradescope "Export Submissions" folder, whose `submission_metadata.yml` names the
students of each `submission_<id>` folder (carried into the documents as `students`).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from grader.submission import SUFFIXES

METADATA = "submission_metadata.yml"


@dataclass
class Found:
    id: str                           # the file or folder name within DIR: the key in every output
    path: Path | None                 # the file to grade; None when the folder holds none or several
    problem: str = ""                 # why there is nothing to grade
    students: list[dict] = field(default_factory=list)


def _students(root: Path) -> dict[str, list[dict]]:
    """Folder -> [{"name", "email", "sid"}] from a Gradescope export, or {}."""
    path = root / METADATA
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return {}
    found = {}
    for folder, meta in data.items() if isinstance(data, dict) else []:
        if not isinstance(meta, dict):
            continue
        submitters = meta.get(":submitters", meta.get("submitters")) or []
        found[str(folder)] = [
            {key: str(person.get(f":{key}", person.get(key, "")) or "") for key in ("name", "email", "sid")}
            for person in submitters if isinstance(person, dict)]
    return found


def pick_file(folder: Path) -> tuple[Path | None, str]:
    """The one submission file in a student's folder (searched below it too)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts)
                   and ".ipynb_checkpoints" not in p.parts)
    if len(files) == 1:
        return files[0], ""
    if not files:
        return None, "the folder holds no .py or .ipynb file"
    names = ", ".join(str(p.relative_to(folder)) for p in files[:5])
    return None, f"the folder holds {len(files)} .py or .ipynb files ({names}); expected one"


def discover(root: Path) -> list[Found]:
    students = _students(root)
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix in SUFFIXES:
            found.append(Found(entry.name, entry))
        elif entry.is_dir():
            path, problem = pick_file(entry)
            found.append(Found(entry.name, path, problem, students.get(entry.name, [])))
    return found


def in_shard(item_id: str, index: int, count: int) -> bool:
    """A stable split by the id's hash: the same submission lands in the same shard, whatever
    else the folder holds."""
    return zlib.crc32(item_id.encode()) % count == index


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' with 0 <= i < N (a Slurm array or a Kubernetes indexed Job index)."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes i/N, such as 0/4, not {text!r}") from None
    if not (count >= 1 and 0 <= index < count):
        raise ValueError(f"--shard {text}: need 0 <= i < N")
    return index, count


def mend_tail(path: Path) -> None:
    """Cut a last line left half-written by a killed batch, so appending starts a clean line."""
    if not path.exists() or not path.stat().st_size:
        return
    with open(path, "rb+") as f:
        data = f.read()
        if not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)


def read_documents(path: Path) -> list[dict]:
    """The documents in a JSON Lines file. A last line cut short by a crash is ignored."""
    documents = []
    if not path.exists():
        return documents
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                documents.append(json.loads(line))
            except ValueError:
                continue
    return documents
