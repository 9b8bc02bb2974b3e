"""Problem specs: what to check, as pydantic models loaded from a problem folder.

A problem folder holds `spec.toml` (the parts, their points and checks), `reference.py` (the
answers, trusted, run only in the judge), `cases.py` (seeded input generators) and, optionally,
`mistakes.py` (common wrong answers the hints name; trusted, judge only, like the reference). A
student kit's folder holds `vectors.json` in place of reference.py and cases.py (grader.core.vectors).
Which of the two a folder is, is decided here, once, when it is loaded (Problem.kit).
The engine knows nothing of any particular worksheet; everything specific lives in the folder.
"""
from __future__ import annotations

import importlib.util
import sys
try:
    import tomllib  # novm: Python 3.10 takes tomli below
except ModuleNotFoundError:   # Python 3.10 (Gradescope's Ubuntu 22.04)
    import tomli as tomllib
from pathlib import Path
from types import ModuleType
from typing import Callable

from pydantic import Field, ValidationError, model_validator

from grader.core import expr
from grader.core.strict import Strict
from grader.core.vectors import VECTORS, Vectors, load_vectors
from grader.errors import SpecError

PROBLEMS_ROOT = Path(__file__).resolve().parents[2] / "problems"
DEFAULT_PROBLEM = "dis02"


class Tolerance(Strict):
    """Elementwise |got - expected| <= atol + rtol * |expected|, as numpy.testing.assert_allclose."""
    rtol: float = 1e-6
    atol: float = 1e-9


class Gradient(Strict):
    """The output is the gradient of `of` (an expression giving a scalar) with respect to input `wrt`."""
    of: str
    wrt: str
    own_points: float = 0.0   # weight of "agrees with your own forward"; 0 = advisory only
    ref_points: float = 1.0   # weight of "agrees with finite differences of the reference"


class Stationary(Strict):
    """The output should be a stationary point of the student's own `of` in its input `wrt`."""
    of: str
    wrt: str
    points: float = 0.0


class Output(Strict):
    """One value a part grades: a student expression compared with the reference's."""
    label: str
    student: str
    returns: str = ""              # what the value is, in words ("a scalar", "the shape of W2"),
                                   # for people reading the spec; grading takes shapes from the answers
    tolerance: Tolerance | None = None
    up_to_constant: bool = False   # compare differences within a case group only
    gradient: Gradient | None = None
    stationary: Stationary | None = None
    points: float = 1.0            # weight of each case-family comparison check
    hidden: bool = True            # randomized checks are hidden details by default

    @model_validator(mode="after")
    def _parse(self) -> "Output":
        for text in (self.student, *(g.of for g in (self.gradient, self.stationary) if g)):
            expr.parse(text)
        return self


class Contains(Strict):
    """The student's value (say a cache) must hold, somewhere inside, one of the reference values."""
    label: str
    student: str
    any_of: list[str]
    points: float = 1.0

    @model_validator(mode="after")
    def _parse(self) -> "Contains":
        for text in (self.student, *self.any_of):
            expr.parse(text)
        return self


class Hint(Strict):
    """A common mistake for one output: `mistake` (an expression over the reference and
    mistakes.py) computes the wrong answer. When a failing check's values match it on every case,
    the feedback says `message`. in_kit: the message and its values give no answer away, so the
    student kit may keep it."""
    output: str                    # the label of one of the part's outputs
    mistake: str
    message: str
    in_kit: bool = False

    @model_validator(mode="after")
    def _parse(self) -> "Hint":
        expr.parse(self.mistake)
        return self


class Part(Strict):
    id: str
    title: str
    points: float
    cases: str
    outputs: list[Output] = Field(default_factory=list)
    contains: list[Contains] = Field(default_factory=list)
    hints: list[Hint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _hints_name_outputs(self) -> "Part":
        labels = [o.label for o in self.outputs]
        for hint in self.hints:
            if hint.output not in labels:
                raise ValueError(f"part {self.id}: a hint names output {hint.output!r}, not one of {labels}")
        return self

    def hints_for(self, output: Output) -> list[Hint]:
        return [h for h in self.hints if h.output == output.label]


class ManualPart(Strict):
    id: str
    title: str
    points: float


class CaseSet(Strict):
    """A generator in cases.py and how many cases of each family it makes."""
    function: str
    families: dict[str, int]
    about: dict[str, str] = Field(default_factory=dict)   # family -> words for check names
    describe: str | None = None    # fn(inputs) -> a line of context shown under a case's inputs


class Budgets(Strict):
    """Seconds of wall time; see the README's "Limits" section."""
    load: float = 10.0
    part: float = 3.0
    submission: float = 30.0
    memory_mib: int = 1024


class PlotPanel(Strict):
    """One curve of a plot set: entry `unit` of the student's expression as the variable moves."""
    name: str                 # the panel's own PNG is <file>_<name>.png
    label: str                # axis and title text (matplotlib mathtext)
    student: str
    per_unit: bool = False    # the value has one entry per unit and the chosen unit's is drawn

    @model_validator(mode="after")
    def _parse(self) -> "PlotPanel":
        expr.parse(self.student)
        return self


class PlotSet(Strict):
    """`grader plot KEY`: panels drawn from the student's functions over the reference's. The
    problem's plots.py supplies the inputs and where the curves may jump or bend."""
    title: str
    setup: str                # a function in plots.py: (seed, unit or None) -> grader.plotting.readings.Setup
    file: str                 # stem of the PNG files
    panels: list[PlotPanel]


class ProblemSpec(Strict):
    name: str
    title: str
    tolerance: Tolerance = Tolerance()
    budgets: Budgets = Budgets()
    case_sets: dict[str, CaseSet]
    parts: list[Part]
    manual: list[ManualPart] = Field(default_factory=list)
    plots: dict[str, PlotSet] = Field(default_factory=dict)
    # real modules students may import besides NumPy and the standard library (each installed
    # where grading runs, and made importable inside the sandbox); others get stand-ins
    modules: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "ProblemSpec":
        for module in self.modules:
            if not module.isidentifier():
                raise ValueError(f"modules: {module!r} is not a top-level module name")
        ids = [p.id for p in self.parts] + [m.id for m in self.manual]
        if len(ids) != len(set(ids)):
            raise ValueError(f"part ids repeat: {ids}")
        for part in self.parts:
            if part.cases not in self.case_sets:
                raise ValueError(f"part {part.id} names unknown case set {part.cases!r}")
            if not part.outputs and not part.contains:
                raise ValueError(f"part {part.id} checks nothing")
        return self


class Problem:
    """A loaded problem folder: the spec, and the reference namespaces and case generators, or a
    student kit's stored test vectors (or, for plots only, neither)."""

    def __init__(self, *, folder: Path, spec: ProblemSpec, references: list[dict[str, Callable]] = (),
                 generators: dict[str, Callable] | None = None, vectors: Vectors | None = None,
                 describers: dict[str, Callable] | None = None,
                 mistakes: list[dict[str, Callable]] | None = None):
        self.folder = folder
        self.spec = spec
        self.references = list(references)   # all equally right; the first is the primary
        self.generators = generators or {}
        self.vectors = vectors            # a student kit's stored test vectors (grader.core.vectors)
        self.describers = describers or {}   # case set -> fn(inputs) -> str
        # where hints are evaluated: each reference namespace with its mistakes.py functions
        mistakes = mistakes or [{}]
        self.hint_namespaces = [{**ref, **mistakes[i % len(mistakes)]} for i, ref in enumerate(references)]

    @property
    def kit(self) -> bool:
        """A student kit's problem: public checks on stored test vectors, no reference."""
        return self.vectors is not None


def problem_module(folder: Path, stem: str) -> ModuleType:
    """A problem folder's own module (cases, reference, mistakes, plots): its author's code,
    trusted, run here in the judge, under a module name of its own per folder."""
    name = f"_grader_problem_{folder.name}_{stem}"
    module_spec = importlib.util.spec_from_file_location(name, folder / f"{stem}.py")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def resolve(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.is_dir():
        return path.resolve()
    if (PROBLEMS_ROOT / name_or_path).is_dir():
        return PROBLEMS_ROOT / name_or_path
    raise SpecError(f"no problem set named {name_or_path!r} (looked in {PROBLEMS_ROOT}, and as a folder)")


def load(name_or_path: str = DEFAULT_PROBLEM, *, grading: bool = True) -> Problem:
    """The problem in a folder: with its reference.py, else (a student kit) its vectors.json.
    grading=False (plots only): a folder with neither loads too, without answers."""
    folder = resolve(name_or_path)
    try:
        raw = tomllib.loads((folder / "spec.toml").read_text())
        spec = ProblemSpec.model_validate(raw)
    except FileNotFoundError:
        raise SpecError(f"{folder} has no spec.toml") from None
    except (tomllib.TOMLDecodeError, ValidationError, expr.ExprError) as err:
        raise SpecError(f"{folder / 'spec.toml'} is not a valid spec: {err}") from None
    if not (folder / "reference.py").exists():
        if (folder / VECTORS).exists():   # a student kit: public checks on stored test vectors
            return Problem(folder=folder, spec=spec, vectors=load_vectors(folder, spec))
        if grading:
            raise SpecError(f"{folder} has neither reference.py nor {VECTORS}: nothing to grade against")
        return Problem(folder=folder, spec=spec)
    cases_module = problem_module(folder, "cases")
    generators, describers = {}, {}
    for key, case_set in spec.case_sets.items():
        for name, found in ((case_set.function, generators), (case_set.describe, describers)):
            fn = getattr(cases_module, name, None) if name else None
            if name and not callable(fn):
                raise SpecError(f"{folder / 'cases.py'} has no function {name!r} (case set {key!r})")
            if fn:
                found[key] = fn
    references = list(problem_module(folder, "reference").REFERENCES)
    return Problem(folder=folder, spec=spec, references=references, generators=generators,
                   describers=describers, mistakes=_mistakes(folder, spec, references))


def _mistakes(folder: Path, spec: ProblemSpec, references: list[dict]) -> list[dict]:
    """mistakes.py's MISTAKES: a list of dicts of functions, one per reference (or one for all),
    checked against the names the hints call."""
    path = folder / "mistakes.py"
    mistakes = list(problem_module(folder, "mistakes").MISTAKES) if path.exists() else []
    if mistakes and len(mistakes) not in (1, len(references)):
        raise SpecError(f"{path}: MISTAKES has {len(mistakes)} entries; REFERENCES has {len(references)}")
    known = set(references[0]) | set(mistakes[0] if mistakes else {})
    for part in spec.parts:
        for hint in part.hints:
            unknown = expr.functions(expr.parse(hint.mistake)) - known
            if unknown:
                raise SpecError(f"part {part.id}: hint {hint.mistake!r} calls {sorted(unknown)}, "
                                f"defined in neither reference.py nor mistakes.py")
    return mistakes

