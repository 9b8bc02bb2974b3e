"""Score documents for people: the terminal report. (JSON is the model's own dump.)"""
from __future__ import annotations

import re

import click

from grader.score import ScoreDocument

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]|\x1b\[[0-9;?]*[A-Za-z]?|\x1b")
MAX_MESSAGE_LINES = 40


def clean(text: str) -> str:
    """Student-made text without terminal escapes, so it cannot repaint our report."""
    return _CONTROL.sub("?", text)


def _indent(text: str, prefix: str = "      ") -> str:
    lines = clean(text).splitlines()
    if len(lines) > MAX_MESSAGE_LINES:
        lines = lines[:MAX_MESSAGE_LINES] + [f"[... {len(lines) - MAX_MESSAGE_LINES} more lines]"]
    return "\n".join(prefix + line for line in lines)


STATUS_STYLE = {"passed": ("PASS", "green"), "failed": ("FAIL", "red"),
                "error": ("ERROR", "red"), "manual": ("MANUAL", "blue")}


def report(doc: ScoreDocument, verbose: bool = False) -> str:
    out = [click.style(f"{doc.problem}: {clean(doc.submission)}", bold=True)]
    if doc.isolation != "bubblewrap":
        out.append(click.style(f"note: student code ran with {doc.isolation} isolation", fg="yellow"))
    for message in doc.load_messages:
        out.append(click.style("while loading: ", fg="yellow") + clean(message))
    for part in doc.parts:
        word, colour = STATUS_STYLE[part.status]
        points = "  -  " if part.score is None else f"{part.score:g}/{part.max_score:g}"
        out.append(f"{click.style(f'{word:6}', fg=colour, bold=True)} {part.id:9} {points:>7}  {part.title}")
        if part.status == "manual":
            continue
        noted: set[str] = set()
        for check in part.checks:
            notes = [n for n in check.notes if n not in noted]
            noted.update(notes)
            if check.passed and not (verbose or notes):
                continue
            mark = click.style("ok  ", fg="green") if check.passed else click.style("x   ", fg="red")
            out.append(f"    {mark}{clean(check.name)}")
            if not check.passed and check.message:
                out.append(_indent(check.message))
            for note in notes:
                out.append(_indent(f"note: {note}"))
    out.append(click.style(f"score: {doc.score:g} / {doc.max_score:g} (auto-graded parts; seed {doc.seed})",
                           bold=True))
    if doc.output.strip():
        out.append("your code printed (kept apart from grading):\n" + _indent(doc.output[-1000:]))
    return "\n".join(out)
