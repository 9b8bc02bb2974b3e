"""Who submitted, from Gradescope's submission_metadata.json (Otter-Grader on Gradescope hands its
plugins the same data), and the seed they fix: each student gets their own randomized cases,
and a regrade of the same submission reproduces its score and messages. Used by the Gradescope
autograder and by the Otter plugin alike.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def seed_for(metadata: dict) -> int | None:
    """A seed fixed by the assignment and the submitters, so a regrade reproduces the score."""
    assignment = metadata.get("assignment") if isinstance(metadata.get("assignment"), dict) else {}
    users = metadata.get("users") if isinstance(metadata.get("users"), list) else []
    ids = sorted(str(u["id"]) for u in users if isinstance(u, dict) and u.get("id") is not None)
    if assignment.get("id") is None or not ids:
        return None
    digest = hashlib.sha256(f"{assignment['id']}:{','.join(ids)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1_000_000_007


def read_metadata(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
