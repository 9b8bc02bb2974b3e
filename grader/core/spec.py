"""Problem specs: what to check, as models (grader.core.models) loaded from a problem folder.

A problem folder holds `spec.toml` (the parts, their points and checks), `reference.py` (the
answers, trusted, run only in the judge), `cases.py` (seeded input generators) and, optionally,
`mistakes.py` (common wrong answers the hints name; trusted, judge only, like the reference). A
student kit's folder holds `vectors.json` in place of reference.py and cases.py (grader.core.vectors).
Which of the two a folder is, is decided here, once, when it is loaded (Problem.kit).
The engine knows nothing of any particular worksheet; everything specific lives in the folder.
"""
from __future__ import annotations

import importlib.util
import os
import sys
try:
    import tomllib  # novm: Python 3.10 takes tomli below
except ModuleNotFoundError:   # Python 3.10 (Gradescope's Ubuntu 22.04)
    import tomli as tomllib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable


from grader.core import expr
from grader.core import defaults
from grader.core.defaults import DEFAULT_PROBLEM, VECTORS  # noqa: F401  (spec.DEFAULT_PROBLEM, as before)
from grader.core import validated
from grader.core.models import Invalid, at_least, described, strict
from grader.errors import SpecError, author_error

if TYPE_CHECKING:   # types only: a kit's vectors are loaded on first use
    from grader.core.vectors import Vectors


@strict
class Tolerance:
    """Elementwise |got - expected| <= atol + rtol * |expected|, as numpy.testing.assert_allclose."""
    rtol: float = described("relative tolerance", default=1e-6)
    atol: float = described("absolute tolerance", default=1e-9)


@strict
class FiniteDifferenceCases:
    """Which cases a finite-difference check runs on: the first `count` cases of the named
    families (in the order the case set lists them) whose generator promises the function is
    smooth around them (a Case's `radius`)."""
    families: list[str] = described(
        "families of the part's case set to draw from; empty: every family, in order", default_factory=list)
    count: int | None = described(
        "how many cases; unset: 4 when the check is scored, 2 when it is advisory", default=None)

    def __post_init__(self) -> None:
        at_least(self, "count", 1)


@strict
class Gradient(FiniteDifferenceCases):
    """The output is the gradient of `of` with respect to the input `wrt`: checked against
    central finite differences of the reference's `of` (scored), and of the student's own `of`
    (advisory unless own_points says otherwise). `of` must give a scalar; for an array output
    (a layer's forward pass), name `weights`: the check is then of the gradient of
    sum(weights * of), the way a layer's gradient given an upstream gradient is checked."""
    of: str = described("an expression giving a scalar, or an array the shape of `weights`")
    wrt: str = described("the input (a float or float array) the gradient is taken with respect to")
    weights: str | None = described(
        "an input of the case set with the shape of `of`'s value: the gradient is of sum(weights * "
        "of)", default=None)
    own_points: float | None = described(
        "weight of the check against finite differences of the student's own `of`. Unset: advisory "
        "(shown, not scored, on 2 cases; scored in the student kit). 0: not run, not shown, in the "
        "kit too. More: scored with this weight", default=None)
    ref_points: float = described(
        "weight of the check against finite differences of the reference's `of`; 0: not run", default=1.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        at_least(self, "own_points", 0)
        at_least(self, "ref_points", 0)

    @property
    def checks_own(self) -> bool:
        """Whether the check against the student's own `of` runs (own_points = 0 switches it off)."""
        return self.own_points != 0


@strict
class Stationary(FiniteDifferenceCases):
    """The output should be a stationary point of the student's own `of` in its input `wrt`
    (an estimate that maximises the student's own objective)."""
    of: str = described("an expression giving a scalar")
    wrt: str = described("the input the output stands in for")
    points: float | None = described(
        "weight of the check. Unset: advisory (shown, not scored; scored in the student kit). 0: not "
        "run, not shown. More: scored with this weight", default=None)

    def __post_init__(self) -> None:
        super().__post_init__()
        at_least(self, "points", 0)

    @property
    def runs(self) -> bool:
        """Whether the check runs (points = 0 switches it off)."""
        return self.points != 0


@strict
class Output:
    """One value a part grades: a student expression compared with the reference's."""
    label: str = described("its name in messages and hints (\"dJ/dW2\")")
    student: str = described(
        "an expression in the call language: run on the student's functions in the sandbox and on the"
        " reference's in the judge")
    returns: str = described(
        "what the value is, in words (\"a scalar\", \"the shape of W\"), for people reading the spec; "
        "grading takes shapes from the reference's answers", default="")
    tolerance: Tolerance | None = described("this output's tolerance; unset: the spec's", default=None)
    up_to_constant: bool = described(
        "compare differences within a group of cases (a generator's list) only: a value defined up to"
        " an additive constant (a log density)", default=False)
    gradient: Gradient | None = described(
        "the output is a gradient: finite-difference checks too", default=None)
    stationary: Stationary | None = described(
        "the output is a stationary point of the student's own objective", default=None)
    points: float = described("weight of each case family's comparison with the reference", default=1.0)
    hidden: bool = described(
        "the details of the randomized checks are hidden from students on Gradescope until the scores"
        " are published (--hidden-visibility)", default=True)

    def __post_init__(self) -> None:
        at_least(self, "points", 0)
        for text in (self.student, *(g.of for g in (self.gradient, self.stationary) if g)):
            expr.parse(text)


@strict
class Contains:
    """The student's value (a cache) must hold, somewhere inside (through dicts, lists, tuples
    and object attributes), one of the reference's values, found by value whatever its name."""
    label: str = described("what is looked for, in words")
    student: str = described("an expression giving the value to search")
    any_of: list[str] = described("expressions over the reference: finding any one of their values passes")
    points: float = described("weight of this check within its part", default=1.0)

    def __post_init__(self) -> None:
        at_least(self, "points", 0)
        for text in (self.student, *self.any_of):
            expr.parse(text)


@strict
class Hint:
    """A common mistake for one output: `mistake` (an expression over the reference and
    mistakes.py) computes the wrong answer. When a failing check's values match it on every case,
    the feedback says `message`."""
    output: str = described("the label of one of the part's outputs")
    mistake: str = described(
        "an expression over reference.py and mistakes.py, run in the judge only; a function returning"
        " None makes no claim on that case")
    message: str = described("what the feedback says when the student's values match the mistake")
    in_kit: bool = described(
        "the message and the mistake's values give no answer away, so the student kit may keep them "
        "(as data: the mistake's outputs on the kit's cases)", default=False)

    def __post_init__(self) -> None:
        expr.parse(self.mistake)


@strict
class Part:
    """A part graded automatically: its outputs, `contains` checks and hints, on one case set."""
    id: str = described("the part id in score documents, gradebooks and Otter questions (q<id>)")
    title: str = described("one line, for reports")
    points: float = described("the part's points, shared among its checks by their weights")
    cases: str = described("the case set (a key of [case_sets]) its checks run on")
    outputs: list[Output] = described("values compared with the reference", default_factory=list)
    contains: list[Contains] = described("values a returned cache must hold", default_factory=list)
    hints: list[Hint] = described("common mistakes named in feedback", default_factory=list)

    def __post_init__(self) -> None:
        at_least(self, "points", 0)
        labels = [o.label for o in self.outputs]
        for hint in self.hints:
            if hint.output not in labels:
                raise ValueError(f"part {self.id}: a hint names output {hint.output!r}, not one of {labels}")

    def hints_for(self, output: Output) -> list[Hint]:
        return [h for h in self.hints if h.output == output.label]


@strict
class ManualPart:
    """A part graded by a person: in every score document with status `manual`."""
    id: str = described("the part id")
    title: str = described("one line")
    points: float = described("its points (not in the auto-graded total)")

    def __post_init__(self) -> None:
        at_least(self, "points", 0)


@strict
class CaseSet:
    """A generator in cases.py and how many cases of each family it makes."""
    function: str = described("a function of cases.py: fn(rng, family, index) -> Case | list[Case]")
    families: dict[str, int] = described(
        "family -> how many times the generator is called for it; each family gets its own random "
        "stream, and one comparison check per output")
    about: dict[str, str] = described(
        "family -> words for check names (\"random cases\"); unset: \"<family> cases\"", default_factory=dict)
    describe: str | None = described(
        "a function of cases.py, fn(inputs) -> str: a line of context shown under a case's inputs",
        default=None)


@strict
class Budgets:
    """Per submission; see the README's "Limits"."""
    load: float = described("seconds to load the submission", default=10.0)
    part: float = described("seconds for each part's checks", default=3.0)
    submission: float = described("seconds for the whole submission", default=30.0)
    memory_mib: int = described("MiB of memory on top of what Python and NumPy use", default=1024)

    def __post_init__(self) -> None:
        for name in ("load", "part", "submission", "memory_mib"):
            at_least(self, name, 0, strictly=True)


@strict
class PlotPanel:
    """One curve of a plot set: entry `unit` of the student's expression as the variable moves."""
    name: str = described("the panel's own PNG is <file>_<name>.png")
    label: str = described("axis and title text (matplotlib mathtext)")
    student: str = described("an expression in the call language")
    per_unit: bool = described(
        "the value has one entry per unit and the chosen unit's is drawn", default=False)

    def __post_init__(self) -> None:
        expr.parse(self.student)


@strict
class PlotSet:
    """`grader plot KEY`: panels drawn from the student's functions over the reference's. The
    problem's plots.py supplies the inputs and where the curves may jump or bend."""
    title: str = described("the figure's title")
    setup: str = described("a function of plots.py: (seed, unit or None) -> grader.plotting.Setup")
    file: str = described("stem of the PNG files")
    panels: list[PlotPanel] = described("the curves, one panel each")


@strict
class ProblemSpec:
    """spec.toml: a problem set."""
    name: str = described("the problem's name (score documents, kit wheels)")
    title: str = described("one line, for reports and gradebooks")
    tolerance: Tolerance = described("the default tolerance of every output", default_factory=Tolerance)
    budgets: Budgets = described("time and memory per submission", default_factory=Budgets)
    case_sets: dict[str, CaseSet] = described("name -> a generator of cases")
    parts: list[Part] = described("the parts graded automatically, in order")
    manual: list[ManualPart] = described("the parts graded by a person", default_factory=list)
    plots: dict[str, PlotSet] = described("`grader plot KEY` sets", default_factory=dict)
    modules: list[str] = described(
        "real modules students may import besides NumPy and the standard library (installed where "
        "grading runs); others get stand-ins", default_factory=list)

    def __post_init__(self) -> None:
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
    """A problem set's folder. A bare name ("hw3") is an installed problem set before a folder of
    that name here: a student whose homework folder has the problem set's name still gets the
    problem set. A path ("./hw3", "problems/hw3") is a folder, as is a bare name nothing is
    installed as."""
    path = Path(name_or_path)
    installed = defaults.PROBLEMS_ROOT / name_or_path
    bare = "/" not in name_or_path and os.sep not in name_or_path and name_or_path not in (".", "..")
    if bare and (installed / "spec.toml").is_file():
        return installed
    if path.is_dir():
        return path.resolve()
    if installed.is_dir():
        return installed
    raise SpecError(f"no problem set named {name_or_path!r} (looked in {defaults.PROBLEMS_ROOT}, and as a folder)")


def load(name_or_path: str = DEFAULT_PROBLEM, *, grading: bool = True, cached: bool = False) -> Problem:
    """The problem in a folder: with its reference.py, else (a student kit) its vectors.json.
    grading=False (plots only): a folder with neither loads too, without answers.
    cached=True (`grader check` only): the spec as last validated, if spec.toml is unchanged,
    and so too a kit's vectors (grader.core.validated)."""
    folder = resolve(name_or_path)
    spec = read_spec(folder, cached)
    if not (folder / "reference.py").exists():
        if (folder / VECTORS).exists():   # a student kit: public checks on stored test vectors
            from grader.core.vectors import load_vectors   # here: only a kit needs its models
            return Problem(folder=folder, spec=spec, vectors=load_vectors(folder, spec, cached))
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


def parse_spec(text: bytes) -> dict:
    """spec.toml's bytes as TOML (validated.load validates what this gives)."""
    return tomllib.loads(text.decode("utf-8"))


def read_spec(folder: Path, cached: bool = False) -> ProblemSpec:
    """spec.toml, validated (grader.core.models); cached: as last validated (grader.core.validated)."""
    path = folder / "spec.toml"
    try:
        return validated.load(path, ProblemSpec, parse_spec, cached)
    except FileNotFoundError:
        raise SpecError(f"{folder} has no spec.toml") from None
    except OSError as err:
        raise SpecError(f"{path} could not be read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path} is not a valid spec: it is not UTF-8 text") from None
    except (tomllib.TOMLDecodeError, Invalid, expr.ExprError) as err:
        raise SpecError(f"{path} is not a valid spec: {err}") from None


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

