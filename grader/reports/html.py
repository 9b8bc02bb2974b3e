"""`grader report --html`: a class on one page, for an instructor to open and share with TAs.

One self-contained file: the stylesheet, the script and the plot are inside it, and its
Content-Security-Policy lets it load nothing else, so it works offline from a file:// URL and a
script that found its way into the page would not run. Every statistic comes from
gradebook.summarize, as `grader summary`'s do, formatted the same way. Every piece of text a
student could have made (file and folder names, names in a Gradescope export, messages, printed
output) goes through `text` on its way into the page.
"""
from __future__ import annotations

import base64
import hashlib
import io
from collections import Counter
from datetime import datetime

import click

import grader
from grader.batch import gradebook
from grader import text as sanitise
from grader.core import models, score
from grader.core.score import ScoreDocument
from grader.errors import ReportError
from grader.reports.html_assets import SCRIPT, STYLE
from grader.reports.terminal import report


def text(value: object) -> str:
    """Any text a student could have made, ready for the page (grader.text: controls and bidi
    characters made visible, then HTML-escaped, quotes too)."""
    return sanitise.html(str(value))


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


# Nothing from anywhere: images only as data: URIs, and only our own style and script, by hash.
POLICY = (f"default-src 'none'; img-src data:; style-src {_csp_hash(STYLE)}; "
          f"script-src {_csp_hash(SCRIPT)}; base-uri 'none'; form-action 'none'")


def _validated(documents: list[dict]) -> list[ScoreDocument]:
    """One model per submission, the last written (as gradebook.latest keeps), in its order; a
    clear error for anything that is not a score document, before gradebook reads it."""
    found = {}
    for number, doc in enumerate(documents, 1):
        try:
            model = score.read(doc)
        except models.Invalid as err:
            raise ReportError(f"document {number} of the file is not a score document "
                              f"({err.where or 'the document'}: {err.why})") from None
        found[model.submission] = model
    return [found[doc["submission"]] for doc in gradebook.latest(documents)]


def _link(name: str, anchors: dict[str, str]) -> str:
    """A submission's name, linked to its row in the table of students (which the link opens)."""
    if name in anchors:
        return f'<a class="sub" href="#{anchors[name]}">{text(name)}</a>'
    return f'<span class="sub">{text(name)}</span>'


def _plot(summary: gradebook.Summary) -> str | None:
    """The summary's plot as a base64 PNG, or None without matplotlib."""
    buffer = io.BytesIO()
    try:
        gradebook.plot(summary, buffer)
    except ImportError:
        return None
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _overview(summary: gradebook.Summary, png: str | None) -> list[str]:
    def stat(label: str, ident: str, value: str, of: str = "") -> str:
        of = f' <span class="of">/ {of}</span>' if of else ""
        return f'<div><dt>{label}</dt><dd><span id="{ident}">{value}</span>{of}</dd></div>'

    most = f"{summary.max_total:g}"
    out = ['<section id="overview"><h2>Scores</h2>', '<dl class="stats">',
           stat("submissions", "count", str(summary.count)),
           stat("mean", "mean", f"{summary.mean:.2f}", most),
           stat("median", "median", f"{summary.median:g}", most),
           stat("lowest", "min", f"{min(summary.totals):g}"),
           stat("highest", "max", f"{max(summary.totals):g}"),
           stat("errors", "error-count", str(len(summary.errors))),
           stat("timeouts", "timeout-count", str(len(summary.timeouts))), "</dl>"]
    if png:
        out.append(f'<img class="plot" src="data:image/png;base64,{png}" '
                   'alt="Left: how many submissions got each total. Right: the percentage passing each part.">')
    else:
        out.append('<p class="note" id="no-plot">No plots: matplotlib is not installed '
                   "(<code>pip install 'sandgrade[plot]'</code>). The tables below hold the same numbers.</p>")
        out += ['<table class="narrow" id="distribution"><thead><tr><th class="num">total</th>',
                '<th class="num">submissions</th><th></th></tr></thead><tbody>']
        counts = Counter(summary.totals)
        for total in sorted(counts):
            out.append(f'<tr><td class="num">{total:g}</td><td class="num">{counts[total]}</td>'
                       f'<td><meter min="0" max="{summary.count}" value="{counts[total]}"></meter></td></tr>')
        out.append("</tbody></table>")
    return out + ["</section>"]


def _parts(summary: gradebook.Summary) -> list[str]:
    out = ['<section id="parts-section"><h2>Parts</h2>',
           '<p class="explain">Auto-graded parts only; parts graded by a person are not in these numbers.</p>',
           '<table id="parts"><thead><tr><th>part</th><th>title</th><th class="num">mean</th>'
           '<th class="num">max</th><th class="num">passed</th><th></th></tr></thead><tbody>']
    for part in summary.parts:
        out.append(f'<tr data-part="{text(part.id)}"><td>{text(part.id)}</td><td>{text(part.title)}</td>'
                   f'<td class="num">{part.mean:.2f}</td><td class="num">{part.max_score:g}</td>'
                   f'<td class="num">{100 * part.pass_rate:.1f}%</td>'
                   f'<td><meter min="0" max="1" value="{part.pass_rate:.4f}"></meter></td></tr>')
    return out + ["</tbody></table></section>"]


def _ranked(ident: str, title: str, explain: str, rows: list[tuple[str, int]],
            examples: dict[str, tuple[str, str]], anchors: dict[str, str]) -> list[str]:
    out = [f'<section id="{ident}-section"><h2>{title}</h2><p class="explain">{explain}</p>']
    if not rows:
        return out + [f'<p id="{ident}">none</p></section>']
    out.append(f'<ol class="ranked" id="{ident}">')
    for name, count in rows:
        part, _, what = name.partition(": ")
        item = (f'<li><span class="count">{count}</span><span class="unit">{"student" if count == 1 else "students"}'
                f'</span><span class="part">{text(part)}</span> <span class="what">{text(what)}</span>')
        if name in examples:
            who, message = examples[name]
            item += (f"<details><summary>example: the message {_link(who, anchors)} got</summary>"
                     f"<pre>{text(message)}</pre></details>")
        out.append(item + "</li>")
    return out + ["</ol></section>"]


def _problems(summary: gradebook.Summary, anchors: dict[str, str]) -> list[str]:
    out = ['<section id="problems-section"><h2>Errors and timeouts</h2>',
           f'<h3>Errors ({len(summary.errors)} submissions)</h3>',
           '<p class="explain">A part whose status is error: the file would not load, or a function crashed.</p>']
    if summary.errors:
        out.append('<ul class="problems" id="errors">')
        out += [f"<li>{_link(sub, anchors)}: {text(why)}</li>" for sub, why in summary.errors]
        out.append("</ul>")
    else:
        out.append('<p id="errors">none</p>')
    out.append(f'<h3>Timeouts ({len(summary.timeouts)} submissions)</h3>')
    if summary.timeouts:
        out.append('<ul class="problems" id="timeouts">')
        out += [f"<li>{_link(sub, anchors)}</li>" for sub in summary.timeouts]
        out.append("</ul>")
    else:
        out.append('<p id="timeouts">none</p>')
    out += ["<h3>Slowest</h3>", '<table class="narrow" id="slowest"><tbody>']
    out += [f'<tr><td class="num">{seconds:.2f} s</td><td>{_link(sub, anchors)}</td></tr>'
            for sub, seconds in summary.slowest]
    return out + ["</tbody></table></section>"]


def _people(doc: ScoreDocument) -> str:
    out = []
    for person in doc.students:
        extra = " ".join(p for p in (person.get("email", ""), person.get("sid", "")) if p)
        out.append(text(person.get("name", "")) + (f"<small>{text(extra)}</small>" if extra else ""))
    return "<br>".join(out)


def _students(summary: gradebook.Summary, docs: list[ScoreDocument], anchors: dict[str, str]) -> list[str]:
    ids = [part.id for part in summary.parts]
    named = any(doc.students for doc in docs)      # a Gradescope export names them
    heads = ['<th data-type="text" aria-sort="ascending"><button type="button">submission</button></th>']
    if named:
        heads.append('<th data-type="text"><button type="button">students</button></th>')
    heads.append('<th data-type="number" class="num"><button type="button">total</button></th>')
    heads += [f'<th data-type="number" class="num score"><button type="button">{text(pid)}</button></th>'
              for pid in ids]
    heads.append('<th data-type="number" class="num"><button type="button">seconds</button></th>')
    out = ['<section id="students-section"><h2>Students</h2>',
           '<div class="tools"><input type="search" id="search" autocomplete="off" '
           'placeholder="Search by file, folder, name, email or SID" aria-label="Search students">',
           '<span id="shown"></span><span class="legend">parts: <span class="passed">passed</span>'
           '<span class="failed">failed</span><span class="error">error</span></span></div>',
           '<p class="explain">Click a column heading to sort; click a row to open the feedback that '
           "student got (as <code>grader check</code> prints it).</p>",
           f'<table id="students"><thead><tr>{"".join(heads)}</tr></thead>']
    for doc in docs:
        parts = {p.id: p for p in doc.parts}
        cells = [f'<td class="sub"><button type="button" class="open" aria-expanded="false">{text(doc.submission)}'
                 "</button></td>"]
        if named:
            cells.append(f'<td class="who">{_people(doc)}</td>')
        cells.append(f'<td class="num" data-value="{doc.score:g}">{doc.score:g}</td>')
        for pid in ids:
            part = parts.get(pid)
            if part is None or part.score is None:
                cells.append('<td class="num" data-value="-1">-</td>')
            else:
                cells.append(f'<td class="num score {part.status}" title="{part.status}" '
                             f'data-value="{part.score:g}">{part.score:g}</td>')
        cells.append(f'<td class="num" data-value="{doc.elapsed_s:.3f}">{doc.elapsed_s:.2f}</td>')
        feedback = text(click.unstyle(report(doc)))
        out += [f'<tbody id="{anchors[doc.submission]}">', f'<tr class="student">{"".join(cells)}</tr>',
                f'<tr class="feedback" hidden><td colspan="{len(heads)}"><pre>{feedback}</pre></td></tr>', "</tbody>"]
    return out + ["</table></section>"]


def build(documents: list[dict], top: int = 10, source: str = "") -> tuple[str, bool]:
    """The page for a batch's documents, and whether it holds the plot (not without matplotlib)."""
    docs = _validated(documents)
    if not docs:
        raise ReportError("no score documents to report on")
    summary = gradebook.summarize(documents, top)
    anchors = {doc.submission: f"s-{number}" for number, doc in enumerate(docs, 1)}
    png = _plot(summary)
    problems = ", ".join(sorted({d.problem for d in docs}))
    seeds = ", ".join(str(s) for s in sorted({d.seed for d in docs}))
    made = datetime.now().strftime("%Y-%m-%d %H:%M")
    body = [f"<header><h1>Class report: {text(problems)}</h1>",
            f'<p class="meta">{summary.count} submissions from <code>{text(source)}</code>, seed {seeds}; '
            f"made {made} by grader {text(grader.__version__)}.</p>",
            '<nav><a href="#overview">Scores</a><a href="#parts-section">Parts</a>'
            '<a href="#mistakes-section">Common mistakes</a><a href="#failing-section">Failing checks</a>'
            '<a href="#problems-section">Errors and timeouts</a><a href="#students-section">Students</a></nav>'
            "</header>"]
    body += _overview(summary, png) + _parts(summary)
    body += _ranked("mistakes", "Most common mistakes",
                    "A hint's mistake matched every case of a check; each student counted once.",
                    summary.mistakes, summary.mistake_examples, anchors)
    body += _ranked("failing", "Most common failing checks", "Each student counted once.",
                    summary.failing_checks, {}, anchors)
    body += _problems(summary, anchors) + _students(summary, docs, anchors)
    page = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Class report: {text(problems)} ({summary.count} submissions)</title>",
            '<link rel="icon" href="data:,">', f"<style>{STYLE}</style></head>",
            "<body><main>", *body, "</main>", f"<script>{SCRIPT}</script>", "</body></html>"]
    return "\n".join(page) + "\n", png is not None
