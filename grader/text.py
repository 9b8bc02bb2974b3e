"""One sanitiser for every place student-controlled text is shown: a terminal, a CSV gradebook,
Gradescope's output, HTML.

Student text is anything a submission decides: file and folder names, exception type names and
messages, printed output, whatever the child replies. Shown raw, it can retitle or clear a
terminal (C0 and C1 controls: ESC, and the 8-bit CSI 0x9b, OSC 0x9d, DCS 0x90), reorder what an
instructor reads (bidi controls such as U+202E), hide text (zero-width and other format
characters), or crash an encoder (lone surrogates, which is how Python spells a file name's
undecodable bytes). Each such character becomes a visible escape (`\\x1b`, `\\u202e`; an
undecodable byte as `\\xff`), so what was there can still be read and nothing is acted on.
"""
from __future__ import annotations

import html as _html
import re
import unicodedata
from functools import lru_cache

# Unicode categories never shown as they are: controls, format characters (bidi controls,
# zero-width characters, U+061C, U+200E/F, tags...), surrogates, line and paragraph separators,
# and unassigned code points (a newer Unicode's format characters would be unassigned here).
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"}
# letters that draw as nothing, which could make one name look like another
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u034f"}

# anything but printable ASCII is looked at; most text is ASCII and passes untouched
_SUSPECT_MULTILINE = re.compile(r"[^\x20-\x7e\n\t]")
_SUSPECT_LINE = re.compile(r"[^\x20-\x7e]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# a spreadsheet takes a cell starting with one of these as a formula (OWASP's list, plus the
# full-width forms some spreadsheets also accept)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@lru_cache(maxsize=4096)
def _escape(char: str, multiline: bool = True) -> str:
    """The character itself when it is safe to show, else a visible escape."""
    code = ord(char)
    if 0x20 <= code < 0x7f or (multiline and char in "\n\t"):
        return char
    if 0xdc80 <= code <= 0xdcff:        # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xdc00:02x}"
    if code < 0x100 and unicodedata.category(char) in _HIDDEN_CATEGORIES:
        return f"\\x{code:02x}"
    if unicodedata.category(char) in _HIDDEN_CATEGORIES or char in _BLANK_LETTERS:
        return f"\\u{code:04x}" if code <= 0xffff else f"\\U{code:08x}"
    return char


def visible(text: str, multiline: bool = True) -> str:
    """Student text safe for a terminal: controls, format characters and lone surrogates as
    visible escapes. multiline keeps newlines and tabs (a CR LF line end becomes a newline);
    otherwise they are escaped too, for a name or a table cell."""
    text = str(text)
    if multiline:
        text = text.replace("\r\n", "\n")
        return _SUSPECT_MULTILINE.sub(lambda m: _escape(m.group()), text)
    return _SUSPECT_LINE.sub(lambda m: _escape(m.group(), False), text)


def line(text: str) -> str:
    """visible() for one line: a name, a table cell, a summary entry."""
    return visible(text, multiline=False)


def encodable(text: str) -> str:
    """Text that UTF-8 can encode: only lone surrogates are escaped, the rest is kept as data
    (for score documents, which are JSON; every display still goes through visible())."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: _escape(m.group()), text)


def csv_cell(text: str) -> str:
    """A CSV cell: one visible line that no spreadsheet will run as a formula."""
    cell = line(text)
    if cell.lstrip(" ").startswith(_FORMULA_START):
        return "'" + cell
    return cell


def html(text: str) -> str:
    """Student text for an HTML page: made visible, then escaped (quotes too)."""
    return _html.escape(visible(text), quote=True)
