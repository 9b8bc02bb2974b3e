"""Grading a class: find the submissions, grade them in parallel, append each document as it ends.

Layouts of DIR: submission files directly in it; one folder per student holding one `.py` or
`.ipynb`; and a Gradescope "Export Submissions" folder (grader.batch.export), whose
`submission_metadata.yml` names the students of each `submission_<id>` folder (carried into the
documents as `students`) and, with the assignment id, fixes each one's seed as on Gradescope.
"""
from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from grader import text
from grader.core.cases import DEFAULT_SEED
from grader.batch.export import read_submitters
from grader.submitters import seed_from
from grader.submissions.files import SUFFIXES, BrokenSubmission, Source, open_below

MAX_DEPTH = 20          # folder levels searched below a student's folder
MAX_ENTRIES = 10_000    # files and folders looked at in one student's folder


@dataclass
class Found:
    id: str                           # the file or folder name within DIR: the key in every output
    path: Source | None               # the file to grade; None when the folder holds none or several
    problem: str = ""                 # why there is nothing to grade
    students: list[dict] = field(default_factory=list)
    seed: int | None = None           # its own seed (a Gradescope export's); None: the batch's
    seed_rule: str = ""               # how the batch chose seeds, kept in the document


@dataclass
class Listing:
    files: list[tuple[str, ...]] = field(default_factory=list)   # named .py/.ipynb, of any kind
    skipped: list[str] = field(default_factory=list)             # links not followed, folders not opened
    problem: str = ""                                            # too deep or too large to search


def search(top_fd: int, start: tuple[str, ...]) -> Listing:
    """Every .py and .ipynb name in top_fd/start/ and below. No recursion (a stack of names),
    bounded in depth and in entries; links and hidden names are not followed; each folder is
    opened from top_fd name by name without following links, so none can be swapped in."""
    listing, stack, seen = Listing(), [start], 0
    while stack:
        where = stack.pop()
        try:
            fd = open_below(top_fd, where, text.line("/".join(where)))
        except BrokenSubmission as err:
            listing.skipped.append(str(err))
            continue
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_ENTRIES:
                        listing.problem = (f"the folder holds more than {MAX_ENTRIES} files and folders; "
                                           "it was not searched")
                        return listing
                    if entry.name.startswith("."):   # hidden, and .ipynb_checkpoints
                        continue
                    path = where + (entry.name,)
                    if entry.name.endswith(SUFFIXES) and not entry.is_dir(follow_symlinks=False):
                        listing.files.append(path)   # a link, FIFO or device is refused when read
                    elif entry.is_symlink():
                        listing.skipped.append(f"{_below(path, start)} (a symbolic link)")
                    elif entry.is_dir(follow_symlinks=False):
                        if len(path) - len(start) > MAX_DEPTH:
                            listing.problem = (f"the folder is nested more than {MAX_DEPTH} levels deep "
                                               f"({_below(path[:len(start) + 3], start)}/...); it was not searched")
                            return listing
                        stack.append(path)
        finally:
            os.close(fd)
    listing.files.sort()
    return listing


def _below(path: tuple[str, ...], start: tuple[str, ...]) -> str:
    return text.line("/".join(path[len(start):]))


def choose(folder: Path, start: tuple[str, ...] = (), preferred: str | None = None) -> tuple[Source | None, str]:
    """The one submission file in folder/start/ (searched below it): the one named `preferred`
    when there is exactly one such, else the only .py or .ipynb there. Gradescope's autograder
    and `grader batch` both choose with this, so they say the same."""
    path, problem = _choose(folder, start, preferred)
    if path is None and preferred:
        problem += f" (name it {text.line(preferred)})"
    return path, problem


def _choose(folder: Path, start: tuple[str, ...], preferred: str | None) -> tuple[Source | None, str]:
    try:
        top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        return None, f"cannot open {text.line(str(folder))} ({err.strerror})"
    try:
        listing = search(top, start)
    finally:
        os.close(top)
    if listing.problem:
        return None, listing.problem
    files = listing.files
    named = [f for f in files if f[-1] == preferred] if preferred else []
    if len(named) == 1:
        return Source(str(folder), named[0]), ""
    if len(files) == 1:
        return Source(str(folder), files[0]), ""
    if not files:
        not_searched = f" (not searched: {', '.join(listing.skipped[:5])})" if listing.skipped else ""
        return None, "the folder holds no .py or .ipynb file" + not_searched
    names = ", ".join(_below(f, start) for f in files[:5])
    return None, f"the folder holds {len(files)} .py or .ipynb files ({names}); expected one"


def discover(root: Path, preferred: str | None = None, assignment_id: str | None = None) -> list[Found]:
    """Each submission in root: its .py and .ipynb files and its folders, in name order. A link
    among them is not followed: it gets a document saying so. In a folder, the file named
    `preferred` is graded when there are several. A Gradescope export's submission_metadata.yml
    gives each folder its students and, with the assignment id, its own seed."""
    people = read_submitters(root) or {}
    found = []
    with os.scandir(root) as entries:
        ordered = sorted(entries, key=lambda e: os.fsencode(e.name))
    for entry in ordered:
        name, shown = entry.name, text.line(entry.name)
        if name.startswith("."):
            continue
        submitters = people.get(name, [])
        students = _shown(submitters)
        seed = seed_from(assignment_id, submitters)
        if entry.is_dir(follow_symlinks=False):
            path, problem = choose(root, (name,), preferred)
            found.append(Found(shown, path, problem, students, seed))
        elif name.endswith(SUFFIXES):                   # refused when read unless a regular file
            found.append(Found(shown, Source(str(root), (name,)), "", students, seed))
        elif entry.is_symlink() and entry.is_dir():     # stat only, to say what it is
            found.append(Found(shown, None, f"{shown} is a symbolic link to a folder: links are not "
                               "followed", students, seed))
    seen = {entry.name for entry in ordered}
    for name in sorted(set(people) - seen):   # listed, but no folder (none in the zip could be unpacked)
        found.append(Found(text.line(name), None, "submission_metadata.yml lists this submission, but the "
                           "export holds no folder for it", _shown(people[name]), seed_from(assignment_id, people[name])))
    return _unique(found)


def _shown(submitters: list[dict]) -> list[dict]:
    return [{key: text.line(value) for key, value in person.items()} for person in submitters]


def assign_seeds(items: list[Found], explicit: int | None, assignment_id: str | None, export: bool) -> str:
    """Give every item its seed; returns what was done, in words. An explicit seed is every
    item's. In a Gradescope export with its assignment id, each submission has its own (as on
    Gradescope), or the default where it has no submitters; anything else gets the default."""
    if explicit is not None or not (export and assignment_id):
        seed = DEFAULT_SEED if explicit is None else explicit
        for item in items:
            item.seed, item.seed_rule = seed, ""
        if export and explicit is None:
            return (f"seed {seed} for every submission: the export's assignment id is unknown (its folder "
                    "is not named assignment_<id>_export), so these are not Gradescope's seeds; pass "
                    "--assignment-id")
        return f"seed {seed} for every submission" + (" (--seed)" if explicit is not None else "")
    rule = f"Gradescope assignment {assignment_id}: each submission's seed from its submitters' emails"
    missing = 0
    for item in items:
        missing += item.seed is None
        item.seed, item.seed_rule = (DEFAULT_SEED if item.seed is None else item.seed), rule
    return (f"each submission's seed as on Gradescope (assignment {assignment_id} and its submitters' "
            f"emails)" + (f"; {missing} without submitters: seed {DEFAULT_SEED}" if missing else ""))


def _unique(found: list[Found]) -> list[Found]:
    """Names shown with escapes may meet a name that holds those escapes literally: number them."""
    taken = set()
    for item in found:
        base, number = item.id, 1
        while item.id in taken:
            number += 1
            item.id = f"{base} ({number})"
        taken.add(item.id)
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
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip():
            try:
                documents.append(json.loads(line))
            except ValueError:
                continue
    return documents
