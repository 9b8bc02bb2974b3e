"""What the q<part>.py test files call inside the student's Jupyter kernel: the in-notebook check.

The student's code is graded from the cells the kernel ran (IPython's input history, as typed),
each run as a cell of its own in grader's sandbox, as Jupyter ran it: a cell stops at its first
error and the later cells still run. The live objects are never used: a kernel can be patched by
the code it runs. Which cells go in:
- every cell the kernel ran, in the order it ran them, Otter's own grading-mode cells included
  (the otter module is a do-nothing stand-in in the sandbox);
- but a cell that only calls the notebook's `grader.check(...)` is left out (it does nothing
  there), so checking again without running new code reuses the grading;
- and of the cell running the check, the statements before it (a cell may define a function
  and then check it).
Only the public checks run, in the instructor's environment as in a student kit's (the reference,
where installed, makes the kit's test vectors): hidden checks run when the submission is graded,
by plugin.py, outside the kernel. This is the student's own check, not the score that counts.
A check that needs another part's function not run yet (3a's stationarity in a kit needs 3b's
log_posterior, whose cell comes later) does not count until it is defined, and says which cell
to run: the student has done all 3a asks; once the notebook has run through, it counts.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import re
import sys
from functools import lru_cache

from grader.core.cases import DEFAULT_SEED
from grader.core.spec import DEFAULT_PROBLEM

# set by plugin.py in Otter's grading process (the kernel inherits it): the plugin replaces these
# questions' results with its own grading, so the kernel need not grade them too
SCORED_BY_PLUGIN = "GRADER_OTTER_PLUGIN_SCORES"
PASSED = "public checks passed; hidden checks run when you submit"
MAX_HISTORY_BYTES = 20 << 20         # as grader.submissions.files.MAX_BYTES for a file
CHECK_METHODS = ("check", "check_all")

_graded: dict[str, object] = {}
# question -> (passed, text) of the latest check, for grader.platforms.otter.notebook to show
feedback: dict[str, tuple[bool, str]] = {}


class NotInKernel(AssertionError):
    pass


# ---- the cells the kernel ran ------------------------------------------------------------------

def kernel_cells(env: dict) -> list[str]:
    """Each cell the kernel ran, as typed, indexed by execution count ([0] is empty); the last is
    the one running now. IPython's raw history, else `In` (the same cells, already transformed)."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
        raw = list(shell.history_manager.input_hist_raw) if shell is not None else None
    except (ImportError, AttributeError):
        raw = None
    cells = raw if raw is not None else env.get("In")
    if not isinstance(cells, list) or not cells:
        raise NotInKernel("grader's Otter checks run in a Jupyter kernel: they grade the cells it ran")
    return [str(cell) for cell in cells]


def kernel_units(env: dict) -> list[dict]:
    """The units grader.core.engine.grade_units runs: one per cell the kernel ran, named as Jupyter
    numbers them ("cell [5]")."""
    from grader.submissions.notebook import strip_ipython
    cells = kernel_cells(env)
    if sum(len(cell) for cell in cells) > MAX_HISTORY_BYTES:
        raise NotInKernel(f"this kernel has run more than {MAX_HISTORY_BYTES >> 20} MiB of cells: "
                          "restart it, run the notebook's cells again, then check")
    units = []
    for number, cell in enumerate(cells):
        source = strip_ipython(cell)
        if number == len(cells) - 1 and source is not None:
            source = ran_before_check(source, env)
        elif source is not None and only_checks(source, env):
            source = None
        if source is not None and source.strip():
            units.append({"name": f"cell [{number}]", "source": source, "cell": True})
    return units


def _notebook_classes() -> tuple[type, ...]:
    try:
        from otter import Notebook
    except ImportError:
        return ()
    return (Notebook,)


def only_checks(source: str, env: dict) -> bool:
    """Whether every statement of the cell is `nb.check(...)` or `nb.check_all()` on an Otter
    notebook of this kernel."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    notebooks = _notebook_classes()
    return bool(body) and bool(notebooks) and all(
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Attribute) and s.value.func.attr in CHECK_METHODS
        and isinstance(s.value.func.value, ast.Name)
        and isinstance(env.get(s.value.func.value.id), notebooks) for s in body)


def running_line(env: dict) -> int | None:
    """The line of the running cell being run: that of the outermost module-level frame whose
    globals are the notebook's (the cell's own frame; Otter found env from it)."""
    frame, line = sys._getframe(1), None
    while frame is not None:
        if frame.f_globals is env and frame.f_code.co_name == "<module>":
            line = frame.f_lineno
        frame = frame.f_back
    return line


def ran_before_check(source: str, env: dict) -> str:
    """The running cell's statements before the one making this check; "" when that statement
    cannot be told (a cell magic's body runs apart from its lines, an env passed by hand)."""
    line = running_line(env)
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    for statement in body if line is not None else ():
        first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
        if first <= line <= statement.end_lineno:
            return "\n".join(source.splitlines()[:first - 1])
    return ""


# ---- grading them --------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def public_problem(name: str):
    """The problem as a student kit has it: its stored test vectors, or, where the reference is
    installed, the vectors a kit built now would hold."""
    from grader.core import spec
    problem = spec.load(name)
    if problem.kit:
        return problem
    from grader.platforms import kit
    from grader.core import models
    from grader.core.vectors import Vectors
    vectors = models.validate(Vectors, kit.make_vectors(problem, kit.load_config(problem.folder)))
    return spec.Problem(folder=problem.folder, spec=problem.spec, vectors=vectors)


def graded(units: list[dict], problem: str, seed: int):
    """The score document of the public checks on these units (kept: a check of another part
    without new cells run reuses it)."""
    from grader.core.engine import grade_units
    key = hashlib.sha256(json.dumps([units, problem, seed]).encode()).hexdigest()
    if key not in _graded:
        if len(_graded) >= 32:
            _graded.clear()
        _graded[key] = grade_units(units, public_problem(problem), seed, submission_id="this notebook")
    return _graded[key]


def _functions(texts) -> set[str]:
    from grader.core import expr
    return set().union(*(expr.functions(expr.parse(t)) for t in texts if t))


def missing_functions(checks) -> list[str]:
    """Functions that failing checks found undefined (grader.sandbox.child's Missing message)."""
    found = []
    for check in checks:
        for name in re.findall(r"no function named `(\w+)` is defined", "" if check.passed else check.message):
            if name not in found:
                found.append(name)
    return found


def without_pending(spec_part, part):
    """(part, pending): checks that failed only because a function of another part (log_posterior
    for 3a's stationarity) is not defined yet do not count until it is, as in the cells run so far
    the student may simply not have reached it. pending: {function: [check names]}."""
    own = _functions([o.student for o in spec_part.outputs] + [c.student for c in spec_part.contains])
    helpers = _functions([g.of for o in spec_part.outputs for g in (o.gradient, o.stationary) if g]) - own
    pending: dict[str, list[str]] = {}
    kept = []
    for check in part.checks:
        needs = [f for f in missing_functions([check]) if f in helpers]
        if needs:
            pending.setdefault(needs[0], []).append(check.name)
        else:
            kept.append(check)
    if not pending:
        return part, {}
    weight = sum(c.points for c in kept)
    score = round(part.max_score * sum(c.points for c in kept if c.passed) / weight, 6) if weight else 0.0
    status = "passed" if score == part.max_score else part.status if part.status != "passed" else "failed"
    return dataclasses.replace(part, checks=kept, score=score, status=status), pending


def feedback_text(question: str, part, pending: dict[str, list[str]], load_messages: list[str]) -> str:
    from grader.reports.terminal import plain_details
    if part.status == "passed":
        lines = [f"{question}: {PASSED}"]
    else:
        lines = [f"{question}: {part.score or 0:g} / {part.max_score:g} on the public checks "
                 f"(hidden checks run when you submit)", plain_details(part, verbose=False)]
        lines += [f"run the cell that defines {name}, then check again"
                  for name in missing_functions(part.checks)]
    for name, names in pending.items():
        lines += [f"not checked yet (it needs {name}): {check}" for check in names]
        lines.append(f"run the cell that defines {name}, then check again")
    if part.status != "passed" and load_messages:
        lines.append("while running your cells:")
        lines += [f"  {message}" for message in load_messages]
    return "\n".join(lines)


def check_part(part_id: str, env: dict, problem: str = DEFAULT_PROBLEM, seed: int = DEFAULT_SEED) -> None:
    """Raise AssertionError with grader's feedback unless the part passed its public checks."""
    if os.environ.get(SCORED_BY_PLUGIN):
        return
    from grader.errors import SpecError
    question = f"q{part_id}"
    feedback.pop(question, None)
    try:
        public = public_problem(problem)
    except SpecError as err:    # say what to do, not a traceback of ours in the notebook
        raise NotInKernel(f"{question}: this environment has no problem set {problem!r} to check with "
                          f"({err}): install the course's student kit for it here") from None
    doc = graded(kernel_units(env), problem, seed)
    spec_part = next(p for p in public.spec.parts if p.id == part_id)
    part, pending = without_pending(spec_part, doc.part(part_id))
    text = feedback_text(question, part, pending, doc.load_messages)
    feedback[question] = (part.status == "passed", text)
    if part.status != "passed":
        raise AssertionError(text)
