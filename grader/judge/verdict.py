"""What a check is, what it says, and the one loop over its cases.

A check is a generator: it yields the calls it needs the student's code to run, receives their
raw results, and returns a Verdict saying whether the values are right and, if not, why. Checks
never touch processes; the engine carries their requests across the boundary (so judging stays
in this process), and attaches the check's name, points and visibility to its verdict.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Generator, Literal

import numpy as np

from grader.judge import compare as cmp
from grader.sandbox.protocol import encode_inputs

if TYPE_CHECKING:   # a type only: the judge runs on anything with a Case's fields
    from grader.core.cases import Case
    from grader.judge.hints import Hints

# Why a check failed, for machines (the score document's `kind`; grader.core.score says what
# each means). The judge tells the first eight; running a check can end in the rest.
Kind = Literal["passed", "raised", "missing", "too_big", "malformed", "wrong_shape", "wrong_value",
               "not_a_number", "timeout", "crashed", "not_run", "internal", "unreadable"]
# The kinds where the code gave no answer to judge: a part failing only so has status "error".
ERROR_KINDS = frozenset({"raised", "missing", "too_big", "malformed", "timeout", "crashed",
                         "not_run", "internal", "unreadable"})

CaseOutcome = tuple[str, bool, str]   # (which case, passed, why not in one line)


@dataclass(kw_only=True)
class Verdict:
    """Why a check passed or failed; the engine knows which check it was."""
    passed: bool
    message: str = ""
    kind: Kind = "passed"
    notes: list[str] = field(default_factory=list)
    hint: str | None = None                 # the common mistake the values match, if one does
    cases: list[CaseOutcome] | None = None  # every case's outcome, only when asked for


CheckRun = Generator[list[dict], list[dict], Verdict]


@dataclass(frozen=True, kw_only=True)
class Check:
    run: Callable[..., CheckRun]   # run(detail=False): detail collects every case's outcome
    hints: Hints | None = None     # common mistakes its values are matched against on a failure


class Calls(list):
    """A request that is the same for every submission; the runner keeps its wire form on it."""


def call(tree: list, case: Case, mode: str = "value", changed: dict | None = None) -> dict:
    """One call for the child: the expression on a case it already holds, with some inputs changed."""
    item = {"expr": tree, "case": case.key, "mode": mode}
    if changed:
        item["with"] = encode_inputs(changed)
    return item


def calls_for(tree: list, cases: list[Case], mode: str = "value") -> Calls:
    return Calls(call(tree, case, mode) for case in cases)


# ---- words -------------------------------------------------------------------------------------

_shown: dict[int, tuple[Case, str]] = {}   # id(case) -> (case, its inputs shown): made once per case
SHOWN_CASES = 4096


def show_inputs(case: Case) -> str:
    """The case's inputs, a line each (then its context). Kept per case: every check failing on
    a case shows its inputs, and NumPy's printing costs tens of microseconds an array."""
    kept = _shown.get(id(case))
    if kept is not None and kept[0] is case:   # the case itself is held, so its id is not reused
        return kept[1]
    lines = [cmp.show(np.asarray(value), f"  {name} = ") for name, value in case.inputs.items()]
    if case.context:
        lines.append(f"  {case.context}")
    if len(_shown) >= SHOWN_CASES:
        _shown.clear()
    _shown[id(case)] = (case, "\n".join(lines))
    return _shown[id(case)][1]


def case_header(case: Case, about: str) -> str:
    label = f" ({case.label})" if case.label else ""
    return f"{about} case #{case.index}{label}, inputs:\n{show_inputs(case)}"


def case_name(case: Case) -> str:
    return f"{case.family} #{case.index}" + (f" ({case.label})" if case.label else "")


def brief(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 160 else line[:157] + "..."


def with_hint(hint: str | None, message: str) -> str:
    return f"hint: {hint}\n{message}" if hint else message


# ---- the loop over cases -------------------------------------------------------------------------

@dataclass(kw_only=True)
class Miss:
    """One case (or group of cases) that failed."""
    kind: Kind
    brief: str                     # why, in one line, for the per-case listing
    message: str = ""              # the check's message, when this is its first failure
    hint: str | None = None        # this failure's own hint (a precision finding)


@dataclass(kw_only=True)
class Tally:
    first: Miss | None             # the first failure, explained
    failed: list[int]              # the failed units, by index
    cases: list[CaseOutcome] | None


def each_case(names: list[str], judge, detail: bool, every: bool = False) -> Generator[list, list, Tally]:
    """Every check's loop: judge(i, explain) each unit (a case, or a group of cases), in order.
    It returns None (passed) or a Miss, or is a generator that first asks the child for more
    calls (`yield`) and then returns one. explain: the Miss's message is wanted (the first
    failure, or every case for `detail`); otherwise only whether the unit failed counts.
    every: go on past the first failure (to count failures and match hints on every case);
    else stop there, unless detail collects every case's outcome."""
    tally = Tally(first=None, failed=[], cases=[] if detail else None)
    for i, name in enumerate(names):
        found = judge(i, detail or tally.first is None)
        if inspect.isgenerator(found):
            found = yield from found
        if tally.cases is not None:
            tally.cases.append((name, found is None, "" if found is None else brief(found.brief)))
        if found is None:
            continue
        tally.failed.append(i)
        tally.first = tally.first or found
        if not (every or detail):
            break
    return tally


def first_failure(tally: Tally) -> Verdict:
    """The verdict of a check whose message is its first failure's, as that failure said it."""
    first = tally.first
    if first is None:
        return Verdict(passed=True, cases=tally.cases)
    return Verdict(passed=False, message=first.message, kind=first.kind, hint=first.hint, cases=tally.cases)
