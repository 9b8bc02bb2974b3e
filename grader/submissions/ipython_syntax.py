"""A notebook cell's IPython syntax made plain Python, line for line, by IPython's own rules.

IPython decides what is special with the token transformers of `IPython.core.inputtransformer2`
(`TransformerManager.transform_cell`): prompts stripped, a `%%` first line, then, on logical lines
found by the tokenizer, `x = %magic`, `x = !cmd`, a line starting with one of `% ! !! ? ?? , ; /`,
and a line ending in `obj?`. A `%` or `!=` that a formatter put at the start of a continuation line
inside brackets is plain Python. This module follows the same steps in the same order (IPython is
not a dependency: grading must not change with what is installed), but where IPython writes
`get_ipython().run_line_magic(...)` it writes what grading needs, keeping every line in place so
messages point at the student's own line numbers:
- a line magic, shell escape or help line becomes `pass` (`%time stmt` keeps stmt: IPython runs it
  in the notebook's namespace);
- `x = %magic` becomes `x = None`, `x = !cmd` becomes `x = []`;
- `,f a b`, `;f a b` and `/f a b` become the calls IPython makes of them;
- a cell magic keeps its body, itself transformed, where IPython runs the body in the notebook's
  namespace (`%%time`, `%%capture`, `%%prun`); any other cell magic (`%%bash`, `%%timeit`,
  `%%writefile`) is not Python run in the namespace, and the cell is left out.
tests/test_ipython_syntax.py compares this with IPython's TransformerManager on many cells.
"""
from __future__ import annotations

import re
import sys
import tokenize
from textwrap import dedent

BODY_RUNS_IN_NAMESPACE = {"time", "capture", "prun"}
ESCAPES = {"!", "?", "%", ",", ";", "/"}
DOUBLE_ESCAPES = {"!!", "??"}
LINE_MAGICS_THAT_RUN = {"time"}          # `%time stmt` runs stmt in the namespace
TRANSFORM_LIMIT = 500
# tokenizer errors after which IPython still uses the tokens so far (IPython.utils.tokenutil)
_KEPT_AFTER = ("unterminated string literal", "invalid non-printable character",
               "after line continuation character", "invalid decimal literal", "invalid binary literal",
               "invalid octal literal", "invalid hexadecimal literal", "in binary literal",
               "in octal literal", "expected EOF")
_HELP_TARGET = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_IPYTHON_PROMPT = re.compile(r"^((\[nav\]|\[ins\])? ?In \[\d+\]: |\s*\.{3,}: ?)")
_DOCTEST_FIRST = re.compile(r"^\s*>>>")
_DOCTEST_PS1 = re.compile(r"^\s*>>>[ \t]?")
_DOCTEST_PS2 = re.compile(r"^\s*\.\.\.[ \t]?")
_TRIPLE = re.compile(r"(?<!\\)(\"\"\"|''')")
# what every token transformer needs somewhere in the cell: a line starting with an escape, a `?`,
# or `=` then `%` or `!` (maybe across a backslash continuation)
_MAYBE_SPECIAL = re.compile(r"^[ \t\f]*[%!?,;/]|\?|=[ \t\f]*(?:\\\r?\n[ \t\f]*)*[%!]", re.MULTILINE)


class TooMuchToRead(ValueError):
    """A submission whose IPython syntax would take the judge too long to read."""


class Budget:
    """Characters the tokenizer may read for one submission. IPython's way reads a cell again
    after each rewrite; a real notebook needs a small fraction of this, a hostile one is cut off."""

    def __init__(self, chars: int = 1_000_000):   # about 6 s of Python's tokenizer here
        self.left = chars

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise TooMuchToRead("its IPython syntax (% ! ? lines) takes too long to read")


def to_python(cell: str, budget: Budget | None = None) -> str | None:
    """The cell as plain Python with as many lines, or None when it is not Python at all."""
    budget = budget or Budget()
    lines = _lines(cell)
    lines = _strip_prompts(_dedent(lines))
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%") and not re.match(r"%%\w+\?", lines[first]):
        name = lines[first][2:].split(None, 1)[0] if lines[first][2:].strip() else ""
        if name not in BODY_RUNS_IN_NAMESPACE:
            return None
        body = to_python("".join(lines[first + 1:]), budget) or ""
        return "\n" * (first + 1) + body
    if not _MAYBE_SPECIAL.search("".join(lines)):
        return "".join(lines)   # nothing any transformer below could find: no need to tokenize
    return "".join(_special_syntax(lines, budget))


def _lines(text: str) -> list[str]:
    if not text.endswith("\n"):
        text += "\n"
    return text.splitlines(keepends=True)


def _dedent(lines: list[str]) -> list[str]:
    return _lines(dedent("".join(lines))) if lines else lines


# ---- prompts pasted from a console -------------------------------------------------------

def _strip_prompts(lines: list[str]) -> list[str]:
    return _ipython_prompts(_doctest_prompts(lines))


def _ipython_prompts(lines: list[str]) -> list[str]:
    if _IPYTHON_PROMPT.match(lines[0]) or (len(lines) > 1 and _IPYTHON_PROMPT.match(lines[1])):
        return [_IPYTHON_PROMPT.sub("", line, count=1) for line in lines]
    return lines


def _in_triple_quotes(lines: list[str]) -> list[bool]:
    """Which lines sit inside a triple-quoted string (a quick scan, as IPython's own is):
    prompts there are text, not prompts."""
    inside, quote, keep, seen_prompt = [], None, False, False
    for line in lines:
        inside.append(quote is not None and keep)
        for match in _TRIPLE.finditer(line):
            if quote is None:
                quote = match.group(1)
                before = line[:match.start()]
                bare = _DOCTEST_PS2.sub("", _DOCTEST_PS1.sub("", before, count=1), count=1)
                prompted = bare != before and seen_prompt
                keep = not prompted and bool(re.match(r"(?i)^[rubf]*$", bare.strip()))
                inside[-1] = keep
            elif quote == match.group(1):
                quote, keep = None, False
        seen_prompt = seen_prompt or bool(_DOCTEST_FIRST.match(line))
    return inside


def _doctest_prompts(lines: list[str]) -> list[str]:
    """`>>> ` and `... ` prompts, when a `>>>` line appears outside a string."""
    inside = _in_triple_quotes(lines)
    if not any(_DOCTEST_FIRST.match(line) and not quoted for line, quoted in zip(lines, inside)):
        return lines
    stripped, changed = [], []
    for line, quoted in zip(lines, inside):
        if quoted:
            new = line
        elif _DOCTEST_PS1.match(line):
            new = _DOCTEST_PS1.sub("", line, count=1)
        else:
            new = _DOCTEST_PS2.sub("", line, count=1)
        stripped.append(new)
        changed.append(new != line)
    out, start = [], 0
    while start < len(stripped):   # dedent each run of lines outside strings that lost a prompt
        end = start
        while end < len(stripped) and inside[end] == inside[start]:
            end += 1
        run = stripped[start:end]
        out += _dedent(run) if not inside[start] and any(changed[start:end]) else run
        start = end
    return out


# ---- special syntax on logical lines -------------------------------------------------------

def _logical_lines(lines: list[str], start: int, budget: Budget):
    """Token groups, one per logical line, from row `start` on, read lazily (brackets and strings
    spanning lines kept together), with the cell's own positions. The tokenizer starts fresh
    at `start`, which must be the top of the cell or a statement at column 0."""
    source = iter(lines[start:])

    def readline() -> str:
        line = next(source, "")
        budget.spend(len(line))
        return line

    def moved(token: tokenize.TokenInfo) -> tokenize.TokenInfo:
        return token._replace(start=(token.start[0] + start, token.start[1]),
                              end=(token.end[0] + start, token.end[1])) if start else token

    group: list[tokenize.TokenInfo] = []
    last = None
    depth = 0
    try:
        for token in map(moved, tokenize.generate_tokens(readline)):
            group.append(token)
            last = token
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                yield group
                group = []
            elif token.type == tokenize.OP and token.string in ("(", "[", "{"):
                depth += 1
            elif token.type == tokenize.OP and token.string in (")", "]", "}") and depth > 0:
                depth -= 1
    except tokenize.TokenError as err:
        if any(text in str(err.args[0]) for text in _KEPT_AFTER):
            where = (last.start[0], last.end[0]) if last else (start + 1, 0)
            group.append(tokenize.TokenInfo(tokenize.ERRORTOKEN, "", where, where, last.line if last else ""))
    if group:
        yield group


def _restart_row(groups: list, row: int, default: int) -> int:
    """The last row at or before `row` where a statement starts at column 0 (the tokenizer's
    state there, no indent, bracket or string, is its state at the top of the cell)."""
    best = default
    for group in groups:
        first = next((t for t in group if t.type not in (tokenize.INDENT, tokenize.DEDENT)), None)
        if first is None or first.start[0] - 1 > row:
            break
        if first.start[1] == 0 and first.type not in (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE):
            best = first.start[0] - 1
    return best


def _first_assignment(line: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for i, token in enumerate(line):
        if token.string == "=" and depth == 0:
            return i
        if token.string in ("(", "[", "{"):
            depth += 1
        elif token.string in (")", "]", "}") and depth > 0:
            depth -= 1
    return None


def _end_of_continued(lines: list[str], start: int) -> int:
    end = start
    while lines[end].endswith("\\\n"):
        end += 1
        if end >= len(lines):
            break
    return end


def _joined(lines: list[str], row: int, col: int, end: int) -> str:
    parts = [lines[row][col:]] + lines[row + 1:end + 1]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _replace(lines: list[str], row: int, end: int, text: str) -> list[str]:
    """Lines row..end become text on row and blank lines after it: the line count stays."""
    return lines[:row] + [text + "\n"] + ["\n"] * (end - row) + lines[end + 1:]


class _Found:
    def __init__(self, start: tuple[int, int], priority: int, apply):
        self.row, self.col, self.priority, self.apply = start[0] - 1, start[1], priority, apply


def _magic_assignment(groups):
    for line in groups:
        i = _first_assignment(line)
        if i is not None and len(line) >= i + 2 and line[i + 1].string == "%" \
                and line[i + 2].type == tokenize.NAME:
            return _Found(line[i + 1].start, 10, lambda lines, f: _assign(lines, f, "None"))
    return None


def _system_assignment(groups):
    for line in groups:
        i = _first_assignment(line)
        if i is None or line[i].line.strip().startswith("=") or len(line) < i + 2:
            continue
        if sys.version_info >= (3, 12):
            if line[i + 1].type == tokenize.OP and line[i + 1].string == "!":
                return _Found(line[i + 1].start, 10, lambda lines, f: _assign(lines, f, "[]"))
            continue
        j = i + 1
        while j < len(line) and line[j].type == tokenize.ERRORTOKEN:
            if line[j].string == "!":
                return _Found(line[j].start, 10, lambda lines, f: _assign(lines, f, "[]"))
            if not line[j].string.isspace():
                break
            j += 1
    return None


def _assign(lines, found, value):
    end = _end_of_continued(lines, found.row)
    return _replace(lines, found.row, end, lines[found.row][:found.col] + value)


def _escaped(groups):
    for line in groups:
        i = 0
        while i < len(line) and line[i].type in (tokenize.INDENT, tokenize.DEDENT):
            i += 1
        if i < len(line) and line[i].string in ESCAPES:
            return _Found(line[i].start, 10, _escaped_line)
    return None


def _escaped_line(lines, found):
    indent = lines[found.row][:found.col]
    end = _end_of_continued(lines, found.row)
    text = _joined(lines, found.row, found.col, end)
    escape = text[:2] if text[:2] in DOUBLE_ESCAPES else text[:1]
    content = text[len(escape):]
    name, _, args = content.partition(" ")
    if escape == "%" and name in LINE_MAGICS_THAT_RUN and args.strip():
        python = args.strip()
    elif escape == ",":
        python = '{}("{}")'.format(name, '", "'.join(args.split()))
    elif escape == ";":
        python = f'{name}("{args}")'
    elif escape == "/":
        if not name:
            raise SyntaxError("'/' must be followed by a callable name")
        python = f"{name}({', '.join(args.split())})"
    else:
        python = "pass"
    return _replace(lines, found.row, end, indent + python)


def _help_at_end(groups):
    for line in groups:
        if len(line) > 2 and line[-2].string == "?":
            i = 0
            while line[i].type in (tokenize.INDENT, tokenize.DEDENT):
                i += 1
            mark = line[-2].start
            return _Found(line[i].start, 5, lambda lines, f, mark=mark: _help_line(lines, f, mark))
    return None


def _help_line(lines, found, mark):
    last = mark[0] - 1
    text = "".join(lines[found.row:last + 1])
    if not _HELP_TARGET.search(text[found.col:]):
        raise SyntaxError(text)
    return _replace(lines, found.row, last, text[:found.col] + "pass")


_FINDERS = (_magic_assignment, _system_assignment, _escaped, _help_at_end)


def _special_syntax(lines: list[str], budget: Budget) -> list[str]:
    """IPython's loop: find the earliest special syntax, rewrite it, look again; until nothing is
    found or every candidate turns out not to be special syntax after all. Where IPython reads the
    whole cell again, this reads again from the last statement at column 0 before the rewrite
    (the rows above it are unchanged and the tokenizer's state there is fresh) and only as far as
    the next candidate. A finder whose first find was not special syntax never finds anything
    later, as in IPython (it keeps finding that first one)."""
    start, blocked = 0, set()
    for _ in range(TRANSFORM_LIMIT):
        seen, tried = [], []
        found = None
        for group in _logical_lines(lines, start, budget):
            seen.append(group)
            done = blocked | {finder for finder, _ in tried}
            fresh = [(finder, candidate) for finder in _FINDERS if finder not in done
                     for candidate in [finder([group])] if candidate]
            for finder, candidate in sorted(fresh, key=lambda fc: (fc[1].row, fc[1].col, fc[1].priority)):
                tried.append((finder, candidate))
                try:
                    lines = candidate.apply(lines, candidate)
                    found = candidate
                    break
                except SyntaxError:
                    continue
            if found:
                break
        if not found:
            return lines
        blocked |= {finder for finder, candidate in tried if candidate is not found}
        start = _restart_row(seen, found.row, start)
    return lines
