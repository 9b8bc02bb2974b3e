"""Score documents for people: the terminal report. (JSON is the model's own dump.)

The report styles its text with click.style; click.echo drops the colours when stdout is not a
terminal (or NO_COLOR is set, see cli.check), so a pipe or a file gets plain text.
"""
from __future__ import annotations

import click

from grader.core.score import CheckResult, PartResult, ScoreDocument
from grader.text import line, visible as clean   # the one sanitiser (plotting uses it from here too)

MAX_MESSAGE_LINES = 60   # a width-7 case with its context, arrays and listing fits
MAX_CASE_LINES = 10     # failed cases described one per line, per check (--verbose)


def _indent(text: str, prefix: str = "      ") -> str:
    lines = clean(text).splitlines()
    if len(lines) > MAX_MESSAGE_LINES:
        lines = lines[:MAX_MESSAGE_LINES] + [f"[... {len(lines) - MAX_MESSAGE_LINES} more lines]"]
    return "\n".join(prefix + line for line in lines)


STATUS_STYLE = {"passed": ("PASS", "green"), "failed": ("FAIL", "red"),
                "error": ("ERROR", "red"), "manual": ("MANUAL", "blue")}


def _status(part: PartResult, width: int = 6) -> str:
    word, colour = STATUS_STYLE[part.status]
    return click.style(word.ljust(width), fg=colour, bold=True)


def _points(part: PartResult) -> str:
    return "-" if part.score is None else f"{part.score:g}/{part.max_score:g}"


def _message(check: CheckResult) -> list[str]:
    """The message, its first line (the hint) set off when there is one."""
    if not check.message:
        return []
    if check.hint and check.message.startswith("hint: "):
        first, _, rest = check.message.partition("\n")
        lines = [click.style(_indent(first), fg="yellow", bold=True)]
        return lines + ([_indent(rest)] if rest else [])
    return [_indent(check.message)]


def _cases(check: CheckResult) -> list[str]:
    """Every case's outcome: a strip of . and F, then a line per failed case (a few)."""
    if not check.cases:
        return []
    strip = "".join(click.style(".", fg="green") if c.passed else click.style("F", fg="red", bold=True)
                    for c in check.cases)
    failed = [c for c in check.cases if not c.passed]
    count = f"{len(check.cases) - len(failed)} passed" + (f", {len(failed)} failed" if failed else "")
    lines = [f"          {len(check.cases)} cases  {strip}  {count}"]
    for case in failed[:MAX_CASE_LINES]:
        lines.append(f"            {click.style('F', fg='red')} {line(case.case)}: {line(case.detail)}")
    if len(failed) > MAX_CASE_LINES:
        lines.append(f"            and {len(failed) - MAX_CASE_LINES} more failed cases")
    return lines


def part_details(part: PartResult, verbose: bool) -> list[str]:
    """A part's checks: the failed ones with their messages, and notes; every one when verbose."""
    out: list[str] = []
    noted: set[str] = set()
    for check in part.checks:
        notes = [n for n in check.notes if n not in noted]
        noted.update(notes)
        if check.passed and not (verbose or notes):
            continue
        mark = click.style("ok  ", fg="green") if check.passed else click.style("x   ", fg="red")
        out.append(f"    {mark}{line(check.name)}")
        out += _cases(check)
        if not check.passed:
            out += _message(check)
        for note in notes:
            out.append(_indent(f"note: {note}"))
    return out


def plain_details(part: PartResult, verbose: bool) -> str:
    """part_details without colour, for text other platforms show (Gradescope, Otter)."""
    return click.unstyle("\n".join(part_details(part, verbose)))


def table(doc: ScoreDocument) -> list[str]:
    """A line per part (part, status, points, title), aligned, and the total."""
    id_width = max([len("part"), len("total")] + [len(p.id) for p in doc.parts])
    total = f"{doc.score:g}/{doc.max_score:g}"
    pts_width = max([len("points"), len(total)] + [len(_points(p)) for p in doc.parts])
    out = [click.style(f"{'part':{id_width}}  {'status':6}  {'points':>{pts_width}}  title", bold=True)]
    for part in doc.parts:
        out.append(f"{part.id:{id_width}}  {_status(part)}  {_points(part):>{pts_width}}  {part.title}")
    manual = sum(p.max_score for p in doc.parts if p.status == "manual")
    tail = "auto-graded parts" + (f"; {manual:g} more {'point is' if manual == 1 else 'points are'} graded by a person" if manual else "")
    out.append(click.style(f"{'total':{id_width}}  {'':6}  {total:>{pts_width}}", bold=True) + f"  ({tail})")
    return out


def import_notes(doc: ScoreDocument) -> list[str]:
    """What the student imported that the sandbox stood in for, in words."""
    notes = []
    if doc.stand_ins:
        notes.append(f"{', '.join(doc.stand_ins)}: imported as do-nothing stand-ins while grading "
                     f"(plots and displays are not drawn; your functions are graded as usual)")
    if doc.not_provided:
        notes.append(f"{', '.join(doc.not_provided)}: not provided by this problem set; it imports, "
                     f"but a function that calls it fails")
    return notes


def report(doc: ScoreDocument, verbose: bool = False) -> str:
    """Details first (the failed parts' checks; every part's when verbose), then the table."""
    out = [click.style(f"{doc.problem}: {line(doc.submission)}", bold=True) + f"  (seed {doc.seed})"]
    if doc.isolation != "bubblewrap":
        out.append(click.style(f"note: student code ran with {doc.isolation} isolation", fg="yellow"))
    for message in doc.load_messages:
        out.append(click.style("while loading: ", fg="yellow") + clean(message))
    out += [click.style("note: ", fg="yellow") + line for line in import_notes(doc)]
    for part in doc.parts:
        if part.status == "manual":
            continue
        details = part_details(part, verbose)
        if details or part.status != "passed":
            out += ["", f"{_status(part)} {part.id}  {part.title}  ({_points(part)})"] + details
    out += [""] + table(doc)
    if doc.output.strip():
        out += ["", "your code printed (kept apart from grading):", _indent(doc.output[-1000:])]
    return "\n".join(out)
