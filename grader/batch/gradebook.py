"""What a batch's score documents say about a class: a CSV gradebook, a summary, a plot.

Everything here reads plain score documents (dicts from a JSON Lines file), so it works on any
mix of runs: a batch, a resumed batch, or shards merged with `grader merge`.
"""
from __future__ import annotations

import csv
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

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


def write_csv(documents: list[dict], path: Path) -> None:
    """A row per submission: who, a column per part (blank for a manual part), the total. Every
    text cell is one visible line that a spreadsheet will not run as a formula."""
    documents = latest(documents)
    parts = _part_ids(documents)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([csv_cell(c) for c in ["submission", "name", "email", "sid", *parts, "total", "max_total"]])
        for doc in documents:
            people = doc.get("students") or [{}]
            scores = {p["id"]: p["score"] for p in doc["parts"]}
            row = [_number(scores.get(part)) for part in parts]
            for person in people:      # a group submission: a row for each member
                who = [doc["submission"], person.get("name", ""), person.get("email", ""), person.get("sid", "")]
                out.writerow([csv_cell(str(c)) for c in who] + row
                             + [_number(doc["score"]), _number(doc["max_score"])])


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
