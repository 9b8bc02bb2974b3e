"""Who submitted, from Gradescope's submission_metadata.json (Otter-Grader on Gradescope hands its
plugins the same data), and the seed they fix: each student gets their own randomized cases,
and a regrade of the same submission reproduces its score and messages, on Gradescope or from
its export with `grader batch`. Used by the Gradescope
autograder and by the Otter plugin alike.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def _submitter_key(person) -> str:
    """Who a submitter is, as both sides spell it: the email stripped and lower-cased; a
    submitter without one counts by name (whitespace collapsed, case folded); '' for neither."""
    if not isinstance(person, dict):
        return ""
    email = person.get("email", person.get(":email"))
    email = str(email).strip().lower() if email is not None else ""
    if email:
        return email
    name = person.get("name", person.get(":name"))
    name = " ".join(str(name).split()).casefold() if name is not None else ""
    return f"name:{name}" if name else ""


def seed_from(assignment_id, submitters) -> int | None:
    """A seed fixed by the assignment and the submitters (any order; a group's members sorted),
    or None when there is no assignment id or no submitter to count."""
    assignment = "" if assignment_id is None or isinstance(assignment_id, bool) else str(assignment_id).strip()
    keys = sorted({key for key in map(_submitter_key, submitters or []) if key})
    if not assignment or not keys:
        return None
    digest = hashlib.sha256(f"{assignment}:{','.join(keys)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1_000_000_007


def seed_for(metadata: dict) -> int | None:
    """The student's seed on Gradescope: from the assignment id and the submitters' emails,
    which `grader batch` finds again in Gradescope's export (grader.batch.export), so a regrade there
    uses the same cases. None without an assignment id or submitters."""
    assignment = metadata.get("assignment") if isinstance(metadata.get("assignment"), dict) else {}
    users = metadata.get("users") if isinstance(metadata.get("users"), list) else []
    return seed_from(assignment.get("id"), users)


def read_metadata(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
