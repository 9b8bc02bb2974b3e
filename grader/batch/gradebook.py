"""What a batch's score documents say about a class: a CSV gradebook, a summary, a plot.

Everything here reads plain score documents (dicts from a JSON Lines file), so it works on any
mix of runs: a batch, a resumed batch, or shards merged with `grader merge`.
"""
from __future__ import annotations

import csv
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from grader.batch.roster import Roster, RosterError, assignment_column, join
from grader.text import csv_cell, line


def latest(documents: list[dict]) -> list[dict]:
    """One document per submission, the last one written, in submission order."""
    by_id = {}
    for doc in documents:
        by_id[doc["submission"]] = doc
    return [by_id[key] for key in sorted(by_id)]


def _part_ids(documents: list[dict]) -> list[str]:
    ids: list[str] = []
    for doc in documents:
        for part in doc["parts"]:
            if part["id"] not in ids:
                ids.append(part["id"])
    return ids


FORMATS = ("plain", "canvas", "gradescope")


def write_csv(documents: list[dict], path: Path, fmt: str = "plain", roster: Roster | None = None,
              column: str | None = None, titles: tuple[str, ...] = ()) -> list[str]:
    """Write the gradebook; returns notes for stderr (roster students with no submission where the
    format has no place for a note, submissions that match nobody). Every text cell is one visible
    line that a spreadsheet will not run as a formula.
    - plain: submission, name, email, sid, a column per part (blank for a manual part), total,
      max_total; with a roster, a row per roster student first, then the submissions matching
      nobody, and a note column.
    - canvas (a Canvas roster): the roster's identity columns and one column for this assignment,
      named as the roster names it (else `titles[0]`), so an import makes no stray assignment.
    - gradescope: the layout of Gradescope's score export (First Name, Last Name or Name, SID,
      Email, Sections, Total Score, Max Points, Status, Submission ID, a column per part)."""
    documents = latest(documents)
    if fmt == "canvas" and (roster is None or roster.kind != "canvas"):
        raise RosterError("--csv-format canvas needs --roster with your Canvas gradebook export "
                          "(Grades > Export), whose identity columns Canvas matches students on")
    joined = join(roster, documents) if roster else None
    notes = list(joined.ambiguous) if joined else []
    rows = list({"plain": _plain_rows, "canvas": _canvas_rows, "gradescope": _gradescope_rows}[fmt](
        documents, roster, joined, notes, column, titles))     # made before the file: an error leaves none
    if joined:
        notes += [f"not on the roster: {line(doc['submission'])}"
                  + (f" ({line(who.get('name', ''))} {line(who.get('email', ''))})".rstrip() if who else "")
                  for doc, who in joined.unmatched]
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        for row in rows:
            out.writerow(row)
    return notes


def _text_cells(cells) -> list[str]:
    return [csv_cell(str(c)) for c in cells]


def _best(matches: list[tuple[dict, dict]], who: str, notes: list[str]) -> dict:
    best = max((doc for doc, _ in matches), key=lambda d: (d["score"], d["submission"]))
    if len(matches) > 1:
        notes.append(f"{line(who)} has {len(matches)} submissions "
                     f"({', '.join(line(d['submission']) for d, _ in matches)}): the highest score is used")
    return best


def _max_total(documents: list[dict]) -> float:
    return max((d["max_score"] for d in documents), default=0)


def _plain_rows(documents, roster, joined, notes, column, titles):
    parts = _part_ids(documents)
    head = ["submission", "name", "email", "sid", *parts, "total", "max_total"] + (["note"] if roster else [])
    yield _text_cells(head)

    def row(doc: dict | None, person: dict, note: str | None) -> list[str]:
        scores = {p["id"]: p["score"] for p in doc["parts"]} if doc else {}
        who = [doc["submission"] if doc else "", person.get("name", ""), person.get("email", ""), person.get("sid", "")]
        total = _number(doc["score"]) if doc else "0"
        max_total = _number(doc["max_score"]) if doc else _number(_max_total(documents))
        return (_text_cells(who) + [_number(scores.get(part)) for part in parts] + [total, max_total]
                + ([] if note is None else _text_cells([note])))
    if roster is None:
        for doc in documents:
            for person in doc.get("students") or [{}]:      # a group submission: a row for each member
                yield row(doc, person, None)
        return
    for i, person in enumerate(roster.people):
        identity = {"name": person.name, "email": person.email, "sid": person.sid}
        matches = joined.by_person.get(i)
        yield row(_best(matches, person.name, notes) if matches else None, identity,
                  "" if matches else "no submission: 0")
    for doc, person in joined.unmatched:
        yield row(doc, person, "not on the roster")


def _canvas_rows(documents, roster, joined, notes, column, titles):
    header, existing = assignment_column(roster, column, list(titles))
    max_total = _max_total(documents)
    if not existing:
        notes.append(f"the roster has no assignment named {header!r}: Canvas will create it on import "
                     "(name an existing one with --column)")
    elif roster.points.get(header) not in (None, "") and _float(roster.points[header]) != max_total:
        notes.append(f"{header!r} is worth {roster.points[header]} points on Canvas; these scores are out "
                     f"of {max_total:g}, and Canvas will import them as they are")
    yield _text_cells([*roster.identity, header])
    yield _text_cells(["Points Possible"] + [""] * (len(roster.identity) - 1)) + [_number(max_total)]
    for i, person in enumerate(roster.people):
        matches = joined.by_person.get(i)
        if not matches:
            notes.append(f"no submission: {line(person.name)} ({line(person.sid or person.email or person.login)}): 0")
        score = _number(_best(matches, person.name, notes)["score"]) if matches else "0"
        yield _text_cells(person.cells) + [score]


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _gradescope_rows(documents, roster, joined, notes, column, titles):
    parts = [(p["id"], p.get("title", ""), p["max_score"]) for p in _first_parts(documents)]
    split = roster is not None and roster.split_names
    names = ["First Name", "Last Name"] if split else ["Name"]
    sections = roster is not None and any(p.section for p in roster.people)
    head = [*names, "SID", "Email", *(["Sections"] if sections else []), "Total Score", "Max Points",
            "Status", "Submission ID", *(f"{pid}: {title} ({points:g} pts)" for pid, title, points in parts)]
    yield _text_cells(head)
    max_total = _max_total(documents)

    def row(person_cells: list[str], doc: dict | None) -> list[str]:
        scores = {p["id"]: p["score"] for p in doc["parts"]} if doc else {}
        submission = re.sub(r"^submission_(\d+)$", r"\1", doc["submission"]) if doc else ""
        return (_text_cells(person_cells) + [_number(doc["score"]) if doc else "0", _number(max_total)]
                + _text_cells(["Graded" if doc else "Missing", submission])
                + [_number(scores.get(pid)) for pid, _, _ in parts])
    if roster is None:
        for doc in documents:
            for person in doc.get("students") or [{"name": doc["submission"]}]:
                yield row([person.get("name", ""), person.get("sid", ""), person.get("email", "")], doc)
        return
    for i, person in enumerate(roster.people):
        matches = joined.by_person.get(i)
        who = ([person.first, person.last] if split else [person.name]) + [person.sid, person.email]
        yield row(who + ([person.section] if sections else []),
                  _best(matches, person.name, notes) if matches else None)


def _first_parts(documents: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for doc in documents:
        for part in doc["parts"]:
            seen.setdefault(part["id"], part)
    return list(seen.values())


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


@dataclass
class PartStats:
    id: str
    mean: float
    max_score: float
    pass_rate: float
    title: str = ""


@dataclass
class Summary:
    count: int
    totals: list[float]
    max_total: float
    parts: list[PartStats]
    failing_checks: list[tuple[str, int]]         # (part id: check name, how many submissions)
    mistakes: list[tuple[str, int]]                # (part id: hint, how many submissions made it)
    errors: list[tuple[str, str]]                  # (submission, what went wrong)
    timeouts: list[str]
    slowest: list[tuple[str, float]]
    # "part id: hint" -> (a submission that made it, that check's message), for the HTML report
    mistake_examples: dict[str, tuple[str, str]] = field(default_factory=dict)

    # The class's totals, here so the text summary and the HTML report show the same numbers.
    @property
    def mean(self) -> float:
        return statistics.fmean(self.totals)

    @property
    def median(self) -> float:
        return statistics.median(self.totals)


def summarize(documents: list[dict], top: int = 5) -> Summary:
    documents = latest(documents)
    auto = [pid for pid in _part_ids(documents)
            if any(p["id"] == pid and p["status"] != "manual" for d in documents for p in d["parts"])]
    parts = []
    for pid in auto:
        found = [p for d in documents for p in d["parts"] if p["id"] == pid]
        parts.append(PartStats(pid, statistics.fmean(p["score"] or 0 for p in found), found[0]["max_score"],
                               sum(p["status"] == "passed" for p in found) / len(found),
                               found[0].get("title", "")))
    failing: Counter = Counter()
    mistakes: Counter = Counter()
    errors, timeouts = [], []
    examples: dict[str, tuple[str, str]] = {}
    for doc in documents:
        seen, made = set(), set()
        for part in doc["parts"]:
            for check in part.get("checks", []):
                if not check["passed"] and check.get("hint"):
                    mistake = f"{part['id']}: {check['hint']}"
                    made.add(mistake)
                    examples.setdefault(mistake, (doc["submission"], check.get("message", "")))
                if not check["passed"] and check.get("points", 1):
                    seen.add(f"{part['id']}: {check['name']}")
                    if check.get("kind") == "timeout" and doc["submission"] not in timeouts:
                        timeouts.append(doc["submission"])
            if part["status"] == "error" and not any(e[0] == doc["submission"] for e in errors):
                reason = next((c["message"] for c in part.get("checks", []) if not c["passed"]), "")
                errors.append((doc["submission"], f"part {part['id']}: {reason.splitlines()[0] if reason else ''}"))
        # sorted: ties keep one order in every run (a set's order changes with the hash seed)
        failing.update(sorted(seen))
        mistakes.update(sorted(made))
    slowest = sorted(((d["submission"], d.get("elapsed_s", 0.0)) for d in documents), key=lambda x: -x[1])
    return Summary(len(documents), [d["score"] for d in documents],
                   max((d["max_score"] for d in documents), default=0), parts,
                   failing.most_common(top), mistakes.most_common(top), errors, timeouts, slowest[:top], examples)


def render(summary: Summary) -> str:
    """The summary for a terminal: every name, check and message is one visible line."""
    if not summary.count:
        return "no score documents"
    totals = summary.totals
    lines = [f"{summary.count} submissions; total mean {summary.mean:.2f} / {summary.max_total:g}, "
             f"median {summary.median:g}, min {min(totals):g}, max {max(totals):g}",
             "", f"{'part':8} {'mean':>8} {'max':>5} {'passed':>8}"]
    for part in summary.parts:
        lines.append(f"{line(part.id):8} {part.mean:8.2f} {part.max_score:5g} {100 * part.pass_rate:7.1f}%")
    lines += ["", "most common failing checks:"]
    lines += [f"  {count:4}  {line(name)}" for name, count in summary.failing_checks] or ["  none"]
    lines += ["", "most common mistakes (a hint's mistake matched every case of a check):"]
    lines += [f"  {count:4}  {line(name)}" for name, count in summary.mistakes] or ["  none"]
    lines += ["", f"errors ({len(summary.errors)} submissions):"]
    lines += [f"  {line(sub)}: {line(why[:150])}" for sub, why in summary.errors[:10]] or ["  none"]
    lines += ["", f"timeouts ({len(summary.timeouts)} submissions):"]
    lines += [f"  {line(sub)}" for sub in summary.timeouts[:10]] or ["  none"]
    lines += ["", "slowest:"] + [f"  {seconds:6.2f} s  {line(sub)}" for sub, seconds in summary.slowest]
    return "\n".join(lines)


def plot(summary: Summary, path: Path | BinaryIO) -> None:
    """Two panels: the distribution of totals, and the pass rate of each part. Headless.
    `path` may be a file object (the HTML report embeds the PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    bins = max(1, min(20, int(summary.max_total) + 1))
    left.hist(summary.totals, bins=bins, range=(0, summary.max_total), color="#4477aa", edgecolor="white")
    left.set(title=f"Totals ({summary.count} submissions)", xlabel=f"score out of {summary.max_total:g}",
             ylabel="submissions")
    left.yaxis.get_major_locator().set_params(integer=True)
    ids = [p.id for p in summary.parts]
    rates = [100 * p.pass_rate for p in summary.parts]
    right.bar(ids, rates, color="#228833")
    right.set(title="Pass rate per part", xlabel="part", ylabel="% passed", ylim=(0, 112))
    for x, rate in enumerate(rates):
        right.text(x, rate + 1.5, f"{rate:.0f}", ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
