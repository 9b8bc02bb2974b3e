"""The PNGs of `grader plot` (matplotlib, headless): the readings of grader.plotting.readings, labelled.

Each panel: the reference's curve wide and pale underneath (when there is one), the student's
on top, a dashed line at each kink, the value taken at the kink as a filled dot and the other
one-sided limit as an open one, a jump as a dotted gap with its size, and each straight piece's
slope. Text that comes from the student's code is drawn verbatim (never as mathtext).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from grader.plotting.readings import number  # noqa: E402

STUDENT, REFERENCE, KINK, NOTE = "#1f5fa8", "#f2a541", "0.35", "#b2182b"
SAME_RTOL = 1e-7    # readings closer than this (relative) are the same number
DPI = 110


def _same(a: float | None, b: float | None, scale: float) -> bool:
    return a is not None and b is not None and abs(a - b) <= SAME_RTOL * (1.0 + scale)


def _pieces(xs: np.ndarray, kinks: list[float]):
    """Masks of the grid strictly between kinks, so no line is drawn across a jump."""
    edges = [-np.inf, *sorted(kinks), np.inf]
    return [(xs > lo) & (xs < hi) for lo, hi in zip(edges, edges[1:])]


def _limits(panel, note_lines: int) -> tuple[float, float]:
    values = [v[np.isfinite(v)] for v in (panel.student, panel.reference) if v is not None]
    values = np.concatenate(values) if values else np.zeros(0)
    lo, hi = (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
    if hi - lo < 1e-9 * max(1.0, abs(hi)):
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.25 * (hi - lo)   # room above for the kink labels, below for notes
    return lo - pad - 0.1 * note_lines * (hi - lo), hi + pad


def _reference_gap(panel, kinks: list[float]) -> tuple[float, float] | None:
    """The largest gap between the student's curve and the reference's, away from the kinks
    (where either one-sided value is right), with its x."""
    if panel.reference is None or not panel.drawn:
        return None
    away = ~np.isin(panel.xs, kinks) & np.isfinite(panel.student)
    gaps = np.abs(panel.student - panel.reference)[away]
    if not gaps.size:
        return None
    worst = int(np.argmax(gaps))
    scale = 1.0 + float(np.max(np.abs(panel.reference)))
    return (float(gaps[worst]), float(panel.xs[away][worst])) if gaps[worst] > SAME_RTOL * scale else None


def draw_panel(ax, panel, setup, loading: list[str], name_in_legend: bool = True) -> None:
    kinks = [k for k, _ in setup.kinks]
    xs = panel.xs
    scale = float(np.nanmax(np.abs(panel.student))) if panel.drawn else 1.0
    for i, mask in enumerate(_pieces(xs, kinks)):
        if panel.reference is not None:
            ax.plot(xs[mask], panel.reference[mask], color=REFERENCE, lw=7, alpha=0.45,
                    solid_capstyle="butt", label="reference" if i == 0 else None, zorder=1)
        ax.plot(xs[mask], panel.student[mask], color=STUDENT, lw=2,
                label=(f"yours: {panel.name}" if name_in_legend else "yours") if i == 0 else None, zorder=3)
    notes = list(panel.problems) + ([f"while loading: {m}" for m in loading[:1]] if not panel.drawn else [])
    gap = _reference_gap(panel, kinks)
    if gap:
        notes.append(f"differs from the reference by up to {gap[0]:.3g} (at {setup.variable} = {gap[1]:.3g})")
    notes = "\n".join(textwrap.fill(n, 75) for n in notes[:3])
    ax.set_ylim(*_limits(panel, notes.count("\n") + 1 if notes and panel.drawn else 0))
    ax.set_xlim(*setup.span)
    middle = sum(setup.span) / 2
    for i, (kink, how) in enumerate(setup.kinks):
        ax.axvline(kink, ls="--", lw=1, color=KINK, zorder=2, label=how if i == 0 else None)
        said = ""
        if panel.drawn:
            shape = panel.student_shape
            said = _kink(ax, shape.kinks[i], shape.pieces[i], shape.pieces[i + 1], scale)
        left = kink > middle     # the label goes on the roomier side of the line
        ax.annotate(f"{setup.variable} = {kink:.4g}" + (f": {said}" if said else ""), (kink, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(-4 if left else 4, -12),
                    textcoords="offset points", ha="right" if left else "left", fontsize=8.5,
                    color=STUDENT if said else KINK, fontweight="bold" if said else "normal")
    if panel.drawn:
        for piece in panel.student_shape.pieces:
            _slope(ax, piece, scale)
    if notes:
        ax.text(0.5, 0.5 if not panel.drawn else 0.03, notes, transform=ax.transAxes, ha="center",
                va="center" if not panel.drawn else "bottom", fontsize=7.5, color=NOTE, parse_math=False,
                bbox={"boxstyle": "round", "fc": "white", "ec": NOTE, "alpha": 0.9}, zorder=6)
    ax.set_xlabel(setup.variable)
    ax.set_ylabel(panel.label)
    ax.grid(alpha=0.25)


def _kink(ax, reading, before, after, scale: float) -> str:
    """The kink's value (filled), the other one-sided limit (open), and the jump, labelled beside
    its gap; for a continuous curve, what to say at the top instead (a bend, or none)."""
    x, left, right, at = reading.x, reading.left, reading.right, reading.at
    if at is not None:
        ax.plot([x], [at], "o", ms=6, color=STUDENT, zorder=5)
    for limit in (left, right):
        if limit is not None and not _same(limit, at, scale):
            ax.plot([x], [limit], "o", ms=6, mfc="white", mec=STUDENT, mew=1.5, zorder=5)
    if reading.jump is not None and not _same(left, right, scale):
        ax.plot([x, x], [left, right], ":", color=STUDENT, lw=1.5, zorder=4)
        ax.annotate(f"jump {number(reading.jump, scale, sign=True)}", (x, (left + right) / 2), xytext=(6, 0),
                    textcoords="offset points", fontsize=8.5, va="center", color=STUDENT,
                    fontweight="bold", zorder=6, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"})
        return ""
    if reading.jump is None:
        return ""
    if before.straight and after.straight and not _same(before.slope, after.slope, scale):
        return f"kink, slope {number(before.slope, scale)} to {number(after.slope, scale)}"
    return "no jump, no kink" if before.straight and after.straight else "no jump"


def _slope(ax, piece, scale: float) -> None:
    """Above the piece's middle, shifted off a sloping line."""
    if piece is None:
        return
    mid = (piece.lo + piece.hi) / 2
    if piece.straight:
        text, y = f"slope {number(piece.slope, scale)}", piece.slope * mid + piece.intercept
    else:
        text, y = "not a straight line", None
    rising = 0 if y is None or abs(piece.slope) <= 1e-9 * max(1.0, scale) else int(np.sign(piece.slope))
    ax.annotate(text, (mid, y if y is not None else 0.84), xycoords=("data", "data" if y is not None else "axes fraction"),
                xytext=(-8 * rising, 9), textcoords="offset points", fontsize=8.5, color=STUDENT, zorder=6,
                ha={1: "right", -1: "left"}.get(rising, "center"),
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def _heading(result) -> str:
    return "\n".join(line for line in (result.setup.about, result.setup.unit_about) if line)


def draw(result, out: Path, stem: str, submission: str) -> list[Path]:
    """One PNG with every panel (STEM.png), then one per panel (STEM_NAME.png)."""
    submission = submission.replace("$", r"\$")   # a file name is not mathtext
    files = []
    count = len(result.panels)
    columns = 2 if count > 1 else 1
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.2 * columns, 4.3 * rows + 0.9), squeeze=False)
    for ax, p in zip(axes.flat, result.panels):
        draw_panel(ax, p, result.setup, result.load_messages, name_in_legend=False)
        ax.set_title(f"{p.label}   (yours: {p.name})", fontsize=12)
    for ax in list(axes.flat)[count:]:
        ax.set_visible(False)
    fig.suptitle(f"{result.title}  ({submission})\n{_heading(result)}", fontsize=10)
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    files.append(_save(fig, out / f"{stem}.png"))
    for p in result.panels:
        fig, ax = plt.subplots(figsize=(7.5, 5.6))
        draw_panel(ax, p, result.setup, result.load_messages)
        ax.set_title(f"{p.label}   ({submission})\n{_heading(result)}", fontsize=9)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8)
        fig.tight_layout()
        files.append(_save(fig, out / f"{stem}_{p.name}.png"))
    return files


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
