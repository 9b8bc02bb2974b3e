"""`grader plot KEY SUBMISSION --out DIR`: a spec's plot set, drawn from the student's own functions.

The problem's plots.py names the inputs and where the curves may jump or bend (`Setup`); each
panel of the spec's [plots.KEY] is one student expression, evaluated in the sandboxed child
(grader.sandbox.session) on a grid of the variable, exactly as checks are: only numbers come back. The
reference's curve, where the problem folder has one, is computed here. Each curve is then read as
straight pieces between the kinks: slopes, one-sided limits, jumps. Those readings are what the
PNGs (grader.plotting.drawing) label, and what `make` returns.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.core import expr
from grader.core import spec as specs
from grader.core.answers import reference_eval
from grader.core.cases import Case
from grader.core.engine import load_messages
from grader.errors import PlotError
from grader.judge import values
from grader.judge.values import NotNumeric, as_array
from grader.judge.verdict import call
from grader.sandbox import ChildFailure, ChildSession, Limits
from grader.submissions.files import BrokenSubmission, units

GRID = 241                # evenly spaced points, plus each kink and two points beside it
BESIDE = 1e-6             # how far beside a kink, relative to max(1, |kink|)
STRAIGHT_RTOL = 1e-7      # a piece is straight when a line fits it this closely
MAX_PROBLEM_CHARS = 300
MAX_DRAWN = 1e12          # bigger numbers are reported, not drawn (no axis could show the rest)


@dataclass
class Setup:
    """From a problem's plots.py: the inputs (the variable's among them, any value), the range,
    the kinks as (position, how it is found), which unit, and text for titles."""
    inputs: dict
    variable: str
    span: tuple[float, float]
    kinks: list[tuple[float, str]]
    unit: int = 0
    units: int | None = None     # entries of a per-unit value (None: not checked)
    about: str = ""
    unit_about: str = ""


@dataclass
class Piece:
    """The curve strictly between two kinks (or a kink and an end of the range)."""
    lo: float
    hi: float
    slope: float
    intercept: float
    straight: bool


@dataclass
class KinkReading:
    x: float
    left: float | None    # one-sided limits (from the straight piece's line, else the nearest point)
    right: float | None
    at: float | None      # the value the curve takes exactly there

    @property
    def jump(self) -> float | None:
        return None if self.left is None or self.right is None else self.right - self.left


@dataclass
class Shape:
    pieces: list[Piece | None]      # None: no finite values on that piece
    kinks: list[KinkReading]


@dataclass
class Panel:
    name: str
    label: str
    expression: str
    xs: np.ndarray
    student: np.ndarray              # NaN where the student's code gave no number
    reference: np.ndarray | None
    student_shape: Shape
    reference_shape: Shape | None
    problems: list[str] = field(default_factory=list)

    @property
    def drawn(self) -> bool:
        return bool(np.isfinite(self.student).any())


@dataclass
class PlotResult:
    title: str
    setup: Setup
    panels: list[Panel]
    files: list[Path]
    load_messages: list[str]


def plot_setup(problem: specs.Problem, key: str, seed: int, unit: int | None) -> tuple[specs.PlotSet, Setup]:
    sets = problem.spec.plots
    if key not in sets:
        known = ", ".join(sorted(sets)) or "none"
        raise PlotError(f"problem {problem.spec.name} has no plot set {key!r} (it has: {known})")
    plot_set = sets[key]
    source = problem.folder / "plots.py"
    if not source.exists():
        raise PlotError(f"{problem.folder} has no plots.py, which [plots.{key}] in spec.toml needs")
    setup = getattr(specs.problem_module(problem.folder, "plots"), plot_set.setup, None)
    if not callable(setup):
        raise PlotError(f"{source} has no function {plot_set.setup!r} (plot set {key!r})")
    try:
        return plot_set, setup(seed, unit)
    except ValueError as err:   # a unit the network does not have
        raise PlotError(str(err)) from None


def grid(setup: Setup) -> np.ndarray:
    lo, hi = setup.span
    points = [np.linspace(lo, hi, GRID)]
    for kink, _ in setup.kinks:
        step = BESIDE * max(1.0, abs(kink))
        points.append([kink - step, kink, kink + step])
    return np.unique(np.concatenate(points))


def pick(value: np.ndarray, per_unit: bool, unit: int, units: int | None) -> float:
    """The drawn number: a scalar, or entry `unit` of a value with one entry per unit (any shape
    that differs from the contract's only by size-1 dimensions)."""
    flat = np.ravel(value)
    got = "a scalar" if value.ndim == 0 else f"{flat.size} numbers (shape {value.shape})"
    if not per_unit:
        if flat.size != 1:
            raise NotNumeric(f"returned {got}, not a scalar")
        return float(flat[0])
    if units is not None and flat.size != units:
        raise NotNumeric(f"returned {got}; expected {units} numbers, one per unit")
    if unit >= flat.size:
        raise NotNumeric(f"returned {got}, no entry {unit}")
    return float(flat[unit])


def student_curve(session: ChildSession, panel: specs.PlotPanel, setup: Setup, xs: np.ndarray,
                  seconds: float) -> tuple[np.ndarray, list[str]]:
    """The student's values on the grid, run in the child; NaN where there is none, and why."""
    tree = expr.parse(panel.student)
    base = Case(setup.inputs, key="plot/0")
    items = [call(tree, base, changed={setup.variable: float(x)}) for x in xs]
    ys = np.full(len(xs), np.nan)
    try:
        raws = session.call(items, seconds, f"drawing {expr.show(tree)} ({seconds:g} s budget)")
    except ChildFailure as failure:
        return ys, [str(failure)]
    failures: dict[str, list[float]] = {}
    like = (setup.units or setup.unit + 1,) if panel.per_unit else ()   # bounds the work per value
    for i, (x, raw) in enumerate(zip(xs, raws)):
        try:
            ys[i] = pick(as_array(raw, like), panel.per_unit, setup.unit, setup.units)
        except NotNumeric as err:
            failures.setdefault(str(err)[:MAX_PROBLEM_CHARS], []).append(float(x))
    problems = []
    for message, where in failures.items():
        missing = values.missing(raws[0]) is not None
        count = "" if missing else " (at every point)" if len(where) == len(xs) else \
            f" (at {len(where)} of {len(xs)} points, from {setup.variable} = {where[0]:.4g})"
        problems.append(f"{expr.show(tree)}: {message}{count}")
    numbers = np.isfinite(ys) | np.isin(xs, [float(x) for v in failures.values() for x in v])
    with np.errstate(invalid="ignore"):
        huge = np.abs(ys) > MAX_DRAWN
    if (~numbers).any():
        problems.append(f"{expr.show(tree)}: returned inf or nan at {int(np.sum(~numbers))} points")
    if huge.any():
        problems.append(f"{expr.show(tree)}: returned numbers beyond {MAX_DRAWN:g} at {int(huge.sum())} points, "
                        "not drawn")
        ys[huge] = np.nan
    return ys, problems


def reference_curve(problem: specs.Problem, panel: specs.PlotPanel, setup: Setup,
                    xs: np.ndarray) -> np.ndarray | None:
    if not problem.references:
        return None
    tree = expr.parse(panel.student)
    with np.errstate(all="ignore"):
        return np.array([pick(np.asarray(reference_eval(tree, problem.references[0],
                                                               {**setup.inputs, setup.variable: float(x)}),
                                         dtype=np.float64), panel.per_unit, setup.unit, setup.units)
                         for x in xs])


def _line(x: np.ndarray, y: np.ndarray) -> Piece:
    if len(x) == 1:
        return Piece(float(x[0]), float(x[0]), 0.0, float(y[0]), False)
    slope, intercept = np.polyfit(x, y, 1)
    residual = np.max(np.abs(slope * x + intercept - y))
    straight = bool(residual <= STRAIGHT_RTOL * (1.0 + np.max(np.abs(y))))
    return Piece(float(x[0]), float(x[-1]), float(slope), float(intercept), straight)


def measure(xs: np.ndarray, ys: np.ndarray, kinks: list[float]) -> Shape:
    """Straight pieces between the kinks, and at each kink the two one-sided limits and the value."""
    with np.errstate(all="ignore"):
        return _measure(xs, ys, kinks)


def _measure(xs: np.ndarray, ys: np.ndarray, kinks: list[float]) -> Shape:
    edges = [-np.inf, *sorted(kinks), np.inf]
    finite = np.isfinite(ys)
    pieces: list[Piece | None] = []
    for lo, hi in zip(edges, edges[1:]):
        inside = (xs > lo) & (xs < hi) & finite
        pieces.append(_line(xs[inside], ys[inside]) if inside.any() else None)
    readings = []
    for j, kink in enumerate(sorted(kinks)):
        exact = np.flatnonzero((xs == kink) & finite)
        readings.append(KinkReading(kink, _limit(pieces[j], xs, ys, kink, -1), _limit(pieces[j + 1], xs, ys, kink, 1),
                                    float(ys[exact[0]]) if exact.size else None))
    return Shape(pieces, readings)


def _limit(piece: Piece | None, xs, ys, kink: float, side: int) -> float | None:
    """The one-sided limit, when the curve has a value at the grid point just beside the kink."""
    j = int(np.searchsorted(xs, kink)) + (1 if side > 0 else -1)
    if piece is None or not 0 <= j < len(xs) or not np.isfinite(ys[j]) or not piece.lo <= xs[j] <= piece.hi:
        return None
    return piece.slope * kink + piece.intercept if piece.straight else float(ys[j])


def open_child(path: Path, problem: specs.Problem, setup: Setup, isolation: str) -> ChildSession:
    budgets = problem.spec.budgets
    table = json.dumps({"plot/0": Case(setup.inputs).encoded()})   # the one case the child holds
    session = ChildSession(units(path), Limits(load_seconds=budgets.load, memory_bytes=budgets.memory_mib << 20),
                           time.monotonic() + budgets.submission, isolation, table)
    try:
        session.start()
    except ChildFailure:
        pass   # the session's load failure: each panel says so
    return session


def evaluate(path: Path, problem: specs.Problem, plot_set: specs.PlotSet, setup: Setup,
             isolation: str) -> tuple[list[Panel], list[str]]:
    """Every panel's curves and readings; the student's code runs only in the child."""
    xs = grid(setup)
    kinks = [k for k, _ in setup.kinks]
    try:
        session = open_child(path, problem, setup, isolation)
    except BrokenSubmission as err:
        session, unreadable = None, f"the submission could not be read: {err}"
    panels = []
    try:
        for spec_panel in plot_set.panels:
            if session is None:
                ys, problems = np.full(len(xs), np.nan), [unreadable]
            else:
                ys, problems = student_curve(session, spec_panel, setup, xs, problem.spec.budgets.part)
            ref = reference_curve(problem, spec_panel, setup, xs)
            panels.append(Panel(spec_panel.name, spec_panel.label, spec_panel.student, xs, ys, ref,
                                measure(xs, ys, kinks), None if ref is None else measure(xs, ref, kinks),
                                problems))
    finally:
        if session is not None:
            session.close()
    return panels, ([] if session is None else load_messages(session))


def make(path: Path, problem: specs.Problem, key: str, out: Path, seed: int, unit: int | None,
         isolation: str) -> PlotResult:
    """Evaluate and draw plot set `key`: one PNG with every panel, and one per panel."""
    try:
        from grader.plotting import drawing
    except ImportError:
        raise PlotError("grader plot needs matplotlib: pip install 'sandgrade[plot]'") from None
    plot_set, setup = plot_setup(problem, key, seed, unit)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PlotError(f"cannot make the folder {out}: {err.strerror}") from None
    panels, load_messages = evaluate(path, problem, plot_set, setup, isolation)
    result = PlotResult(plot_set.title, setup, panels, [], load_messages)
    result.files = drawing.draw(result, out, plot_set.file, path.name)
    return result


def number(value: float, scale: float = 1.0, sign: bool = False) -> str:
    """For people: 3 significant digits, and rounding noise (a fitted slope of 1e-17) as 0."""
    if abs(value) <= 1e-9 * max(1.0, scale):
        value = 0.0
    return f"{value:+.3g}" if sign and value else f"{value:.3g}"


def _plain(text: str) -> str:
    """Mathtext as terminal text: $w_i^{(1)}$ -> w_i^(1)."""
    return text.replace("$", "").replace("{", "").replace("}", "").replace("\\", "")


def _reading(shape: Shape, scale: float, var: str) -> list[str]:
    lines = []
    for piece in shape.pieces:
        if piece is not None:
            what = f"slope {number(piece.slope, scale)}" if piece.straight else "not a straight line"
            lines.append(f"{var} from {piece.lo:.3g} to {piece.hi:.3g}: {what}")
    for kink in shape.kinks:
        jump = "unknown" if kink.jump is None else number(kink.jump, scale, sign=True)
        at = "none" if kink.at is None else number(kink.at, scale)
        lines.append(f"at {var} = {kink.x:.4g}: jump {jump}, value there {at}")
    return lines


def summary(result: PlotResult) -> str:
    """What the PNGs show, as text: each panel's slopes, jumps and problems, then the files."""
    from grader.reports.terminal import clean
    setup = result.setup
    lines = [result.title] + [_plain(t) for t in (setup.about, setup.unit_about) if t]
    lines += [f"loading: {clean(m)}" for m in result.load_messages]
    for panel in result.panels:
        lines.append(f"\n{expr.show(expr.parse(panel.expression))}" + ("" if panel.drawn else ": not drawn"))
        scale = float(np.nanmax(np.abs(panel.student))) if panel.drawn else 1.0
        lines += [f"  {line}" for line in (_reading(panel.student_shape, scale, setup.variable) if panel.drawn else [])]
        lines += [f"  problem: {clean(p)}" for p in panel.problems]
    lines.append("\nwrote " + ", ".join(str(f) for f in result.files))
    return "\n".join(lines)
