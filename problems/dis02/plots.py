"""What `grader plot 1` draws (spec.toml, [plots.1]): the worksheet's Problem 1 sketches, on a
small fixed network made from the seed, as functions of x for one hidden unit i.

Every unit's kink x = -b_i/w_i lies inside the plotted range at a quarter-integer, and b1 is
made as -(W1 * kink), so W1 * x + b1 is exactly 0.0 there: the value drawn at the kink is the
student's own choice of one-sided derivative.
"""
import numpy as np

from grader.plotting import Setup

WIDTH = 3
SPAN = (-2.5, 2.5)
SPOTS = [-1.5, -1.25, -1.0, -0.75, 0.75, 1.0, 1.25, 1.5]   # |kink| >= 0.75: visible jumps


def _row(values) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in np.ravel(values)) + "]"


def network(seed: int) -> tuple[dict, np.ndarray]:
    """The inputs and each unit's kink. k = 3; unit 0 has w > 0, unit 1 w < 0 (active on the
    left), unit 2 either; weights to one decimal."""
    rng = np.random.default_rng([seed, 1])
    kinks = rng.choice(SPOTS, size=WIDTH, replace=False)
    signs = np.array([1.0, -1.0, rng.choice([-1.0, 1.0])])
    W1 = (np.round(rng.uniform(0.6, 1.8, WIDTH), 1) * signs).reshape(WIDTH, 1)
    b1 = -(W1 * kinks.reshape(WIDTH, 1))
    W2 = (np.round(rng.uniform(0.5, 1.5, WIDTH), 1) * rng.choice([-1.0, 1.0], WIDTH)).reshape(1, WIDTH)
    b2 = float(np.round(rng.uniform(-1.0, 1.0), 1)) + 0.0   # never -0.0
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, kinks


def problem1(seed: int, unit: int | None) -> Setup:
    inputs, kinks = network(seed)
    unit = 0 if unit is None else unit
    if not 0 <= unit < WIDTH:
        raise ValueError(f"unit {unit}: the plotted network has {WIDTH} hidden units, numbered 0 to {WIDTH - 1}")
    W1, b1, W2 = inputs["W1"], inputs["b1"], inputs["W2"]
    w, b, v = W1[unit, 0], b1[unit, 0], W2[0, unit]
    kink = float(kinks[unit])      # = -b/w; not computed so, which could be an ulp off
    about = (f"k = {WIDTH}:  W1 = {_row(W1)}$^T$,  b1 = {_row(b1)}$^T$,  W2 = {_row(W2)},  "
             f"b2 = {inputs['b2']:.4g}")
    unit_about = (f"unit i = {unit} (counted from 0):  $w_i^{{(1)}}$ = {w:.4g},  $b_i^{{(1)}}$ = {b:.4g},  "
                  f"$w_i^{{(2)}}$ = {v:.4g}")
    return Setup(inputs={**inputs, "x": float(kink)}, variable="x", span=SPAN, unit=unit, units=WIDTH,
                 kinks=[(float(kink), r"$z_i = 0$ at $x = -b_i^{(1)} / w_i^{(1)}$")],
                 about=about, unit_about=unit_about)
