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
from typing import TYPE_CHECKING, Callable

from pydantic import Field, ValidationError, model_validator

from grader.core import expr
from grader.core import defaults
from grader.core.defaults import DEFAULT_PROBLEM, VECTORS  # noqa: F401  (spec.DEFAULT_PROBLEM, as before)
from grader.core.strict import Strict
from grader.errors import SpecError, author_error

if TYPE_CHECKING:   # types only: a kit's vectors are loaded on first use
    from grader.core.vectors import Vectors


class Tolerance(Strict):
    """Elementwise |got - expected| <= atol + rtol * |expected|, as numpy.testing.assert_allclose."""
    rtol: float = Field(1e-6, description="relative tolerance")
    atol: float = Field(1e-9, description="absolute tolerance")


class FiniteDifferenceCases(Strict):
    """Which cases a finite-difference check runs on: the first `count` cases of the named
    families (in the order the case set lists them) whose generator promises the function is
    smooth around them (a Case's `radius`)."""
    families: list[str] = Field(default_factory=list, description=(
        "families of the part's case set to draw from; empty: every family, in order"))
    count: int | None = Field(None, ge=1, description=(
        "how many cases; unset: 4 when the check is scored, 2 when it is advisory"))


class Gradient(FiniteDifferenceCases):
    """The output is the gradient of `of` with respect to the input `wrt`: checked against
    central finite differences of the reference's `of` (scored), and of the student's own `of`
    (advisory unless own_points says otherwise). `of` must give a scalar; for an array output
    (a layer's forward pass), name `weights`: the check is then of the gradient of
    sum(weights * of), the way a layer's gradient given an upstream gradient is checked."""
    of: str = Field(description="an expression giving a scalar, or an array the shape of `weights`")
    wrt: str = Field(description="the input (a float or float array) the gradient is taken with respect to")
    weights: str | None = Field(None, description=(
        "an input of the case set with the shape of `of`'s value: the gradient is of sum(weights * of)"))
    own_points: float | None = Field(None, ge=0, description=(
        "weight of the check against finite differences of the student's own `of`. Unset: "
        "advisory (shown, not scored, on 2 cases; scored in the student kit). 0: not run, not "
        "shown, in the kit too. More: scored with this weight"))
    ref_points: float = Field(1.0, ge=0, description=(
        "weight of the check against finite differences of the reference's `of`; 0: not run"))

    @property
    def checks_own(self) -> bool:
        """Whether the check against the student's own `of` runs (own_points = 0 switches it off)."""
        return self.own_points != 0


class Stationary(FiniteDifferenceCases):
    """The output should be a stationary point of the student's own `of` in its input `wrt`
    (an estimate that maximises the student's own objective)."""
    of: str = Field(description="an expression giving a scalar")
    wrt: str = Field(description="the input the output stands in for")
    points: float | None = Field(None, ge=0, description=(
        "weight of the check. Unset: advisory (shown, not scored; scored in the student kit). "
        "0: not run, not shown. More: scored with this weight"))

    @property
    def runs(self) -> bool:
        """Whether the check runs (points = 0 switches it off)."""
        return self.points != 0


class Output(Strict):
    """One value a part grades: a student expression compared with the reference's."""
    label: str = Field(description="its name in messages and hints (\"dJ/dW2\")")
    student: str = Field(description=(
        "an expression in the call language: run on the student's functions in the sandbox and "
        "on the reference's in the judge"))
    returns: str = Field("", description=(
        "what the value is, in words (\"a scalar\", \"the shape of W\"), for people reading the "
        "spec; grading takes shapes from the reference's answers"))
    tolerance: Tolerance | None = Field(None, description="this output's tolerance; unset: the spec's")
    up_to_constant: bool = Field(False, description=(
        "compare differences within a group of cases (a generator's list) only: a value defined "
        "up to an additive constant (a log density)"))
    gradient: Gradient | None = Field(None, description="the output is a gradient: finite-difference checks too")
    stationary: Stationary | None = Field(None, description=(
        "the output is a stationary point of the student's own objective"))
    points: float = Field(1.0, ge=0, description="weight of each case family's comparison with the reference")
    hidden: bool = Field(True, description=(
        "the details of the randomized checks are hidden from students on Gradescope until "
        "the scores are published (--hidden-visibility)"))

    @model_validator(mode="after")
    def _parse(self) -> "Output":
        for text in (self.student, *(g.of for g in (self.gradient, self.stationary) if g)):
            expr.parse(text)
        return self


class Contains(Strict):
    """The student's value (a cache) must hold, somewhere inside (through dicts, lists, tuples
    and object attributes), one of the reference's values, found by value whatever its name."""
    label: str = Field(description="what is looked for, in words")
    student: str = Field(description="an expression giving the value to search")
    any_of: list[str] = Field(description=(
        "expressions over the reference: finding any one of their values passes"))
    points: float = Field(1.0, ge=0, description="weight of this check within its part")

    @model_validator(mode="after")
    def _parse(self) -> "Contains":
        for text in (self.student, *self.any_of):
            expr.parse(text)
        return self


class Hint(Strict):
    """A common mistake for one output: `mistake` (an expression over the reference and
    mistakes.py) computes the wrong answer. When a failing check's values match it on every case,
    the feedback says `message`."""
    output: str = Field(description="the label of one of the part's outputs")
    mistake: str = Field(description=(
        "an expression over reference.py and mistakes.py, run in the judge only; a function "
        "returning None makes no claim on that case"))
    message: str = Field(description="what the feedback says when the student's values match the mistake")
    in_kit: bool = Field(False, description=(
        "the message and the mistake's values give no answer away, so the student kit may keep "
        "them (as data: the mistake's outputs on the kit's cases)"))

    @model_validator(mode="after")
    def _parse(self) -> "Hint":
        expr.parse(self.mistake)
        return self


class Part(Strict):
    """A part graded automatically: its outputs, `contains` checks and hints, on one case set."""
    id: str = Field(description="the part id in score documents, gradebooks and Otter questions (q<id>)")
    title: str = Field(description="one line, for reports")
    points: float = Field(ge=0, description="the part's points, shared among its checks by their weights")
    cases: str = Field(description="the case set (a key of [case_sets]) its checks run on")
    outputs: list[Output] = Field(default_factory=list, description="values compared with the reference")
    contains: list[Contains] = Field(default_factory=list, description="values a returned cache must hold")
    hints: list[Hint] = Field(default_factory=list, description="common mistakes named in feedback")

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
    """A part graded by a person: in every score document with status `manual`."""
    id: str = Field(description="the part id")
    title: str = Field(description="one line")
    points: float = Field(ge=0, description="its points (not in the auto-graded total)")


class CaseSet(Strict):
    """A generator in cases.py and how many cases of each family it makes."""
    function: str = Field(description="a function of cases.py: fn(rng, family, index) -> Case | list[Case]")
    families: dict[str, int] = Field(description=(
        "family -> how many times the generator is called for it; each family gets its own "
        "random stream, and one comparison check per output"))
    about: dict[str, str] = Field(default_factory=dict, description=(
        "family -> words for check names (\"random cases\"); unset: \"<family> cases\""))
    describe: str | None = Field(None, description=(
        "a function of cases.py, fn(inputs) -> str: a line of context shown under a case's inputs"))


class Budgets(Strict):
    """Per submission; see the README's "Limits"."""
    load: float = Field(10.0, gt=0, description="seconds to load the submission")
    part: float = Field(3.0, gt=0, description="seconds for each part's checks")
    submission: float = Field(30.0, gt=0, description="seconds for the whole submission")
    memory_mib: int = Field(1024, gt=0, description="MiB of memory on top of what Python and NumPy use")


class PlotPanel(Strict):
    """One curve of a plot set: entry `unit` of the student's expression as the variable moves."""
    name: str = Field(description="the panel's own PNG is <file>_<name>.png")
    label: str = Field(description="axis and title text (matplotlib mathtext)")
    student: str = Field(description="an expression in the call language")
    per_unit: bool = Field(False, description="the value has one entry per unit and the chosen unit's is drawn")

    @model_validator(mode="after")
    def _parse(self) -> "PlotPanel":
        expr.parse(self.student)
        return self


class PlotSet(Strict):
    """`grader plot KEY`: panels drawn from the student's functions over the reference's. The
    problem's plots.py supplies the inputs and where the curves may jump or bend."""
    title: str = Field(description="the figure's title")
    setup: str = Field(description="a function of plots.py: (seed, unit or None) -> grader.plotting.Setup")
    file: str = Field(description="stem of the PNG files")
    panels: list[PlotPanel] = Field(description="the curves, one panel each")


class ProblemSpec(Strict):
    """spec.toml: a problem set."""
    name: str = Field(description="the problem's name (score documents, kit wheels)")
    title: str = Field(description="one line, for reports and gradebooks")
    tolerance: Tolerance = Field(Tolerance(), description="the default tolerance of every output")
    budgets: Budgets = Field(Budgets(), description="time and memory per submission")
    case_sets: dict[str, CaseSet] = Field(description="name -> a generator of cases")
    parts: list[Part] = Field(description="the parts graded automatically, in order")
    manual: list[ManualPart] = Field(default_factory=list, description="the parts graded by a person")
    plots: dict[str, PlotSet] = Field(default_factory=dict, description="`grader plot KEY` sets")
    modules: list[str] = Field(default_factory=list, description=(
        "real modules students may import besides NumPy and the standard library (installed "
        "where grading runs); others get stand-ins"))

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
            families = self.case_sets[part.cases].families
            for output in part.outputs:
                for kind, fd in (("gradient", output.gradient), ("stationary", output.stationary)):
                    unknown = [f for f in fd.families if f not in families] if fd else []
                    if unknown:
                        raise ValueError(f"part {part.id}, output {output.label!r}: {kind}.families names "
                                         f"{unknown}, not families of case set {part.cases!r} "
                                         f"({sorted(families)})")
        return self


class Problem:
    """A loaded problem folder: the spec, and the reference namespaces and case generators, or a
    student kit's stored test vectors (or, for plots only, neither)."""

    def __init__(self, *, folder: Path, spec: ProblemSpec, references: list[dict[str, Callable]] = (),
                 generators: dict[str, Callable] | None = None, vectors: "Vectors | None" = None,
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
    path = folder / f"{stem}.py"
    if not path.is_file():
        raise SpecError(f"{folder} has no {path.name}")
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:   # the author's code: say where, never a traceback
        sys.modules.pop(name, None)
        raise SpecError(f"{path} could not be loaded: {author_error(err, folder)}") from None
    return module


def resolve(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.is_dir():
        return path.resolve()
    if (defaults.PROBLEMS_ROOT / name_or_path).is_dir():
        return defaults.PROBLEMS_ROOT / name_or_path
    raise SpecError(f"no problem set named {name_or_path!r} (looked in {defaults.PROBLEMS_ROOT}, and as a folder)")


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
            from grader.core.vectors import load_vectors   # here: only a kit needs its models
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
    references = _references(folder, spec)
    return Problem(folder=folder, spec=spec, references=references, generators=generators,
                   describers=describers, mistakes=_mistakes(folder, spec, references))


def _references(folder: Path, spec: ProblemSpec) -> list[dict]:
    """reference.py's REFERENCES: a non-empty list of dicts of functions, each defining every
    function the spec's expressions call (they run on the reference too)."""
    path = folder / "reference.py"
    found = getattr(problem_module(folder, "reference"), "REFERENCES", None)
    if not isinstance(found, (list, tuple)) or not found or not all(isinstance(r, dict) for r in found):
        raise SpecError(f"{path}: REFERENCES must be a non-empty list of dicts of functions "
                        f"(name -> function), one per equally right answer")
    references = list(found)
    for part in spec.parts:
        named = [(f"output {o.label!r}", o.student) for o in part.outputs]
        named += [(f"output {o.label!r}: {kind}.of", fd.of) for o in part.outputs
                  for kind, fd in (("gradient", o.gradient), ("stationary", o.stationary)) if fd]
        named += [(f"contains {c.label!r}", t) for c in part.contains for t in (c.student, *c.any_of)]
        for where, text in named:
            for i, namespace in enumerate(references):
                unknown = sorted(expr.functions(expr.parse(text)) - set(namespace))
                if unknown:
                    which = f"REFERENCES[{i}]" if len(references) > 1 else "REFERENCES"
                    raise SpecError(f"part {part.id}, {where}: {text!r} calls {unknown}, which {path.name}'s "
                                    f"{which} does not define (the spec's expressions run on the reference too)")
    return references


def _mistakes(folder: Path, spec: ProblemSpec, references: list[dict]) -> list[dict]:
    """mistakes.py's MISTAKES: a list of dicts of functions, one per reference (or one for all),
    checked against the names the hints call."""
    path = folder / "mistakes.py"
    found = getattr(problem_module(folder, "mistakes"), "MISTAKES", None) if path.exists() else []
    if not isinstance(found, (list, tuple)) or not all(isinstance(m, dict) for m in found):
        raise SpecError(f"{path}: MISTAKES must be a list of dicts of functions (name -> function)")
    mistakes = list(found)
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

