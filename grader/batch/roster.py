"""A course roster, from the LMS's own CSV, and who in it submitted what.

Two layouts are read, told apart by their header:
- a Canvas gradebook export: `Student, ID, SIS User ID, SIS Login ID, [Integration ID,] Section`,
  then one column per assignment named `Name (id)` and read-only totals; a second row
  `Points Possible` (and a `Manual Posting` row) that are not students;
- a Gradescope roster (Roster > Download): `First Name, Last Name, SID, Email, Role, Sections`
  (or one `Name` / `Full Name` column); only rows whose Role is Student are students.

A submitter is joined to a roster row on the email (Gradescope's Email, or a Canvas SIS Login ID
that is an email), else on the SID (Gradescope's SID, Canvas's SIS User ID). A submission with no
students (not from a Gradescope export) is joined by its file or folder name, as an email, SID or
Canvas login.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader import text

MAX_BYTES = 64 << 20
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_ASSIGNMENT = re.compile(r"(.*\S)\s*\((\d+)\)")


class RosterError(Exception):
    """The roster cannot be used; the message says why and what to do."""


@dataclass
class Person:
    name: str
    email: str = ""
    sid: str = ""
    login: str = ""                 # Canvas SIS Login ID that is not an email
    first: str = ""
    last: str = ""
    section: str = ""
    cells: list[str] = field(default_factory=list)   # the roster's identity cells, as given


@dataclass
class Roster:
    kind: str                                  # "canvas" or "gradescope"
    identity: list[str]                        # the identity columns' headers, in order
    people: list[Person]
    assignments: dict[str, str] = field(default_factory=dict)   # Canvas: header -> name without "(id)"
    points: dict[str, str] = field(default_factory=dict)        # Canvas: header -> Points Possible
    split_names: bool = False                  # Gradescope: First Name and Last Name columns


def _email(value: str) -> str:
    return value.strip().lower()


def _plain(value: str) -> str:
    return " ".join(value.split()).casefold()


def read(path: Path) -> Roster:
    shown = text.line(str(path))
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise RosterError(f"cannot read the roster {shown} ({err.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise RosterError(f"the roster {shown} is larger than {MAX_BYTES >> 20} MiB")
    try:
        content = raw.decode("utf-8-sig")      # Excel writes a byte-order mark
    except UnicodeDecodeError:
        raise RosterError(f"the roster {shown} is not UTF-8 text: save it as CSV UTF-8") from None
    try:
        rows = [row for row in csv.reader(io.StringIO(content, newline="")) if any(c.strip() for c in row)]
    except csv.Error as err:
        raise RosterError(f"the roster {shown} is not a readable CSV file ({err})") from None
    if not rows:
        raise RosterError(f"the roster {shown} is empty")
    header = [h.strip() for h in rows[0]]
    folded = [h.casefold() for h in header]
    if all(c.casefold() in folded for c in CANVAS_IDENTITY):
        return _canvas(header, folded, rows[1:])
    if "email" in folded and ({"first name", "last name"} <= set(folded) or {"name", "full name"} & set(folded)):
        return _gradescope(header, folded, rows[1:])
    raise RosterError(f"{shown} is neither a Canvas gradebook export (columns {', '.join(CANVAS_IDENTITY)}) "
                      "nor a Gradescope roster (columns First Name, Last Name, SID, Email)")


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _canvas(header: list[str], folded: list[str], rows: list[list[str]]) -> Roster:
    at = {name: folded.index(name.casefold()) for name in CANVAS_IDENTITY}
    width = at["Section"] + 1          # Canvas puts Section last among who a student is
    roster = Roster("canvas", header[:width], [])
    for column in header[width:]:
        named = CANVAS_ASSIGNMENT.fullmatch(column)
        if named:
            roster.assignments[column] = named.group(1)
    for row in rows:
        student = _cell(row, at["Student"])
        if student.casefold() == "points possible":
            roster.points = {c: _cell(row, header.index(c)) for c in roster.assignments}
            continue
        if not _cell(row, at["ID"]):       # "Manual Posting" and other rows that are no student
            continue
        login = _cell(row, at["SIS Login ID"])
        roster.people.append(Person(
            name=student, email=_email(login) if "@" in login else "", login="" if "@" in login else login,
            sid=_cell(row, at["SIS User ID"]), section=_cell(row, at["Section"]),
            cells=[_cell(row, i) for i in range(width)]))
    return roster


def _gradescope(header: list[str], folded: list[str], rows: list[list[str]]) -> Roster:
    def index(*names: str) -> int | None:
        return next((folded.index(n) for n in names if n in folded), None)
    first, last, name = index("first name"), index("last name"), index("name", "full name")
    email, sid, role, section = index("email"), index("sid"), index("role"), index("sections", "section")
    identity = [i for i in (first, last, name, sid, email, section) if i is not None]
    roster = Roster("gradescope", [header[i] for i in identity], [],
                    split_names=first is not None and last is not None)
    for row in rows:
        if role is not None and _cell(row, role).casefold() not in ("", "student"):
            continue                     # instructors, TAs and readers are not graded
        full = _cell(row, name) if name is not None else f"{_cell(row, first)} {_cell(row, last)}".strip()
        roster.people.append(Person(
            name=full, email=_email(_cell(row, email)), sid=_cell(row, sid), first=_cell(row, first),
            last=_cell(row, last), section=_cell(row, section), cells=[_cell(row, i) for i in identity]))
    return roster


def assignment_column(roster: Roster, wanted: str | None, names: list[str]) -> tuple[str, bool]:
    """The Canvas column to fill, and whether the roster has it. `wanted` (--column) is a whole
    header, a name without its "(id)", or the id; without it, an assignment named as one of `names` (the
    problem's title and name). When none is there, the first name: Canvas makes a new assignment."""
    def found(name: str) -> list[str]:
        return [c for c, bare in roster.assignments.items()
                if _plain(name) in (_plain(c), _plain(bare), CANVAS_ASSIGNMENT.fullmatch(c).group(2))]
    if wanted:
        hits = found(wanted)
        if len(hits) != 1:
            listed = ", ".join(roster.assignments.values()) or "none"
            raise RosterError(f"--column {wanted!r} names {'no' if not hits else 'more than one'} assignment "
                              f"of the roster (its assignments: {listed[:500]})")
        return hits[0], True
    hits = list(dict.fromkeys(hit for name in names if name for hit in found(name)))
    if len(hits) > 1:
        raise RosterError(f"the roster has {len(hits)} assignments named like this problem "
                          f"({', '.join(hits)}): choose one with --column")
    return (hits[0], True) if hits else (names[0], False)


@dataclass
class Joined:
    """Documents (with the student of each) per roster row, and those that matched nobody."""
    by_person: dict[int, list[tuple[dict, dict]]] = field(default_factory=dict)
    unmatched: list[tuple[dict, dict]] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


def join(roster: Roster, documents: list[dict]) -> Joined:
    emails: dict[str, list[int]] = {}
    sids: dict[str, list[int]] = {}
    logins: dict[str, list[int]] = {}
    for i, person in enumerate(roster.people):
        for table, key in ((emails, person.email), (sids, person.sid.casefold()), (logins, person.login.casefold())):
            if key:
                table.setdefault(key, []).append(i)
    joined = Joined()
    for doc in documents:
        for student in doc.get("students") or [{}]:
            if student:
                rows = emails.get(_email(student.get("email", ""))) or sids.get(student.get("sid", "").strip().casefold())
            else:     # not from an export: the file or folder name may be who it is
                stem = re.sub(r"\.(py|ipynb)$", "", str(doc.get("submission", ""))).strip()
                rows = emails.get(_email(stem)) or sids.get(stem.casefold()) or logins.get(stem.casefold())
            if not rows:
                joined.unmatched.append((doc, student))
                continue
            if len(rows) > 1:
                joined.ambiguous.append(f"{roster.people[rows[0]].name} is on the roster {len(rows)} times; "
                                        "the first row is used")
            joined.by_person.setdefault(rows[0], []).append((doc, student))
    return joined
