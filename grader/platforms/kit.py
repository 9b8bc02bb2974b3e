"""`grader student-kit DIR`: a wheel students pip install to check themselves, without the reference.

The wheel holds this package and the problem's spec.toml with `vectors.json` (grader.core.vectors):
a few fixed cases per case set, picked as the problem's optional `kit.toml` says, and the
reference's outputs on them, computed here as JSON numbers. Never in it: reference.py, a
problem's mistakes.py (misconceptions written as code), cases.py, tests, benchmarks. The wheel
is built by pip from a staged copy of the sources (setuptools, no build isolation, so no
network), then scanned: a wheel holding any of those files, or any line of their code, is
refused.
"""
from __future__ import annotations

import ast
import io
import json
import re
import shutil
import tempfile
import tokenize
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from grader import DISTRIBUTION, __version__
from grader.platforms import packaging
from grader.core import expr, models, plan, validated
from grader.core import spec as specs
from grader.core.answers import Cases, Referee, needles_for
from grader.core.cases import DEFAULT_SEED, Case
from grader.core.spec import tomllib   # tomli on Python 3.10, where Otter's kernel may build a public view
from grader.core.models import described, strict
from grader.core.vectors import FORMAT, VECTORS, Vectors
from grader.errors import KitError, PackagingError, SpecError, author_error
from grader.judge import gradcheck
from grader.judge.hints import mistake_values
from grader.judge.verdict import case_name
from grader.sandbox.protocol import encode_input
from grader.platforms.otter.compat import TESTED_WITH as OTTER_VERSION

KIT_CONFIG = "kit.toml"
SECRET_FILES = ("reference.py", "mistakes.py")    # never shipped, and none of their lines either
LEFT_OUT = SECRET_FILES + ("cases.py",)           # not in a kit's problem folder: it needs no generators
DEFAULT_PICKS = 2                                 # cases per family when kit.toml says nothing
MIN_SECRET_CHARS = 12                             # shorter lines ("return 1.0") are too common to scan for


@strict
class FamilyPick:
    """The cases of one family the kit ships."""
    pick: list[int] = described("positions within the family, as the generator makes them (from 0)")
    about: str = described("words for check names; empty: the spec's `about`", default="")


@strict
class KitConfig:
    """kit.toml: which cases the student kit ships."""
    seed: int = described("the seed whose cases are picked from", default=DEFAULT_SEED)
    case_sets: dict[str, dict[str, FamilyPick]] = described(
        "case set -> family -> its pick; a case set not named ships the first two cases of each family",
        default_factory=dict)


def load_config(folder: Path) -> KitConfig:
    path = folder / KIT_CONFIG
    if not path.exists():
        return KitConfig()
    try:
        return models.validate(KitConfig, tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, models.Invalid) as err:
        raise KitError(f"{path} is not valid: {err}") from None


# ---- the vectors ------------------------------------------------------------------------------------

def _encode(value: np.ndarray, what: str = "the reference"):
    if not np.all(np.isfinite(value)):
        raise SpecError(f"{what} gave a value that is not finite: {value}; the kit stores JSON numbers")
    return float(value) if value.ndim == 0 else encode_input(value)


def _pick(problem, config: KitConfig, name: str, made: list[Case]) -> tuple[list[Case], dict[str, str]]:
    """The chosen cases of one case set (whole groups where a part compares up to a constant)."""
    case_set = problem.spec.case_sets[name]
    grouped = any(o.up_to_constant for p in problem.spec.parts if p.cases == name for o in p.outputs)
    wanted = config.case_sets.get(name) or {f: FamilyPick(pick=list(range(DEFAULT_PICKS)))
                                            for f in case_set.families}
    chosen, about = {}, {}
    for family, choice in wanted.items():
        members = [c for c in made if c.family == family]
        about[family] = choice.about or case_set.about.get(family, f"{family} cases")
        for position in choice.pick:
            if not 0 <= position < len(members):
                raise KitError(f"{KIT_CONFIG}: case set {name!r}, family {family!r} has "
                               f"{len(members)} cases; there is no case {position}")
            for case in [c for c in members if c.group == members[position].group] if grouped \
                    else [members[position]]:
                chosen[case.key] = case
    return list(chosen.values()), about


def _kit_hints(problem, part, output, case: Case) -> dict:
    """The outputs, on one case, of the output's mistakes whose message gives no answer away.
    A mistake that raises or is not finite there is the spec's error, named (SpecError)."""
    found = {}
    for hint in part.hints_for(output):
        if hint.in_kit:
            said = f"part {part.id}, output {output.label!r}: the hint {hint.message!r}: its mistake {hint.mistake}"
            try:
                values = mistake_values(problem.hint_namespaces, expr.parse(hint.mistake), case.inputs,
                                        output.up_to_constant)
            except MemoryError:   # past the judge's memory cap: not a mistake of the spec's
                raise
            except Exception as err:
                raise SpecError(f"{said} raised {author_error(err, problem.folder)}") from None
            if values is not None and not all(np.all(np.isfinite(v)) for v in values):
                raise SpecError(f"{said} is not finite on the kit's case {case_name(case)}: the kit stores "
                                f"JSON numbers. Return None where it makes no claim, or set in_kit = false")
            found[hint.message] = None if values is None else [_encode(v) for v in values]
    return found


def hint_leaks(problem, secret: list[str]) -> list[str]:
    """The kit's hints (in_kit) whose message holds a line of secret code, named: the message is
    stored in the kit as it is."""
    return [f"part {part.id}, output {hint.output!r}: the hint {hint.message!r} holds a line of "
            f"reference.py or mistakes.py ({line}); reword it or set in_kit = false"
            for part in problem.spec.parts for hint in part.hints if hint.in_kit
            for line in secret if line in _compact(hint.message)]


def make_vectors(problem, config: KitConfig) -> dict:
    """The vectors file's content (grader.core.vectors.Vectors), from the reference."""
    spec = problem.spec
    make_cases = Cases(problem, config.seed)
    picked, about = {}, {}
    for name in dict.fromkeys(p.cases for p in spec.parts):
        picked[name], about[name] = _pick(problem, config, name, make_cases(name))
    parts = {}
    for part in spec.parts:
        cases = picked[part.cases]
        outputs = []
        for output in part.outputs:
            tree = expr.parse(output.student)
            referee = Referee(problem, f"part {part.id}, output {output.label!r}")
            values = [{"case": c.key, "expected": [_encode(v, f"{referee.where}: the reference's "
                                                          f"{output.student} on case {case_name(c)}")
                                                  for v in referee.values(tree, c)],
                       "hints": _kit_hints(problem, part, output, c)}
                      for c in cases]
            g = output.gradient
            if g and not gradcheck.pick(cases, g.wrt, g.families, g.count or plan.FD_CASES):
                families = f" of families {g.families}" if g.families else ""
                raise KitError(f"part {part.id}: no picked case{families} is smooth enough around it for "
                               f"finite differences in {g.wrt}; pick another in {KIT_CONFIG}")
            outputs.append({"student": output.student, "values": values})
        contains = []
        for item in part.contains:
            chosen = needles_for([expr.parse(t) for t in item.any_of], cases,
                                 Referee(problem, f"part {part.id}, contains {item.label!r}"), plan.CONTAINS_CASES)
            if not chosen:
                raise KitError(f"part {part.id}: no picked case tells {item.label} apart from the inputs")
            contains.append({"student": item.student, "label": item.label,
                             "values": [{"case": c.key, "needles": [_encode(n) for n in needles]}
                                        for c, needles in chosen]})
        parts[part.id] = {"outputs": outputs, "contains": contains}
    stored = {c.key: {"inputs": c.encoded(), "family": c.family, "index": c.index, "group": c.group,
                      "label": c.label, "radius": c.radius, "context": c.context}
              for cases in picked.values() for c in cases}
    # checked against the model by whoever reads them: stage (the file the kit will read back),
    # the Otter checks' public_problem
    return {"format": FORMAT, "problem": spec.name, "seed": config.seed,
            "grader_version": __version__, "about": about, "cases": stored, "parts": parts}


# ---- staging and building ---------------------------------------------------------------------------

def version(spec) -> str:
    """This grader's version, marked as a kit of one problem (a PEP 440 local label)."""
    return f'{__version__}+{re.sub(r"[^A-Za-z0-9]+", ".", spec.name).strip(".") or "problem"}.kit'


def _pyproject(spec) -> str:
    try:
        return packaging.pyproject(packaging.dependencies(), version(spec), extra=(
            f'description = "Self-check kit: public checks for {spec.name}"\nreadme = "README.md"'))
    except PackagingError as err:
        raise KitError(str(err)) from None


def spec_without_hints(path: Path) -> str:
    """spec.toml less its [[parts.hints]] tables: their messages may give answers away (the kit's
    hints are data in vectors.json, and only those marked in_kit)."""
    kept, skipping = [], False
    for line in path.read_text().splitlines(keepends=True):
        head = line.strip()
        if head == "[[parts.hints]]":
            skipping = True
            continue
        if skipping and (not head or head.startswith("[")):
            skipping = False
        if not skipping:
            kept.append(line)
    text = "".join(kept)
    original = specs.read_spec(path.parent)
    try:
        stripped = models.validate(specs.ProblemSpec, tomllib.loads(text))
    except (tomllib.TOMLDecodeError, models.Invalid):
        stripped = None
    if stripped != replace(original, parts=[replace(part, hints=[]) for part in original.parts]):
        raise KitError(f"{path}: could not take its hints out cleanly; keep each [[parts.hints]] "
                       "table's keys on the lines right after it")
    return text


def stage(problem, vectors: dict, folder: Path, readme: str) -> Path:
    """A source tree for the wheel: this package, and the problem's spec and vectors only."""
    packaging.copy_package(folder)
    target = folder / "problems" / packaging.installed_name(problem)   # what the kit's --problem finds
    target.mkdir(parents=True)
    (folder / "problems" / "__init__.py").write_text("")
    (target / "__init__.py").write_text("")
    (target / "spec.toml").write_text(spec_without_hints(problem.folder / "spec.toml"))
    if problem.spec.plots and (problem.folder / "plots.py").exists():
        shutil.copy(problem.folder / "plots.py", target / "plots.py")   # inputs and kinks, no answers
    (target / VECTORS).write_text(_json(vectors))
    # their validated copies too (grader.core.validated): a check reads them without pydantic
    validated.store(target / "spec.toml", specs.ProblemSpec, specs.parse_spec)
    validated.store(target / VECTORS, Vectors, json.loads)
    (folder / "pyproject.toml").write_text(_pyproject(problem.spec))
    (folder / "README.md").write_text(readme)
    return folder


def _json(value, depth: int = 0) -> str:
    """Indented JSON, with each list of plain numbers on one line; no NaN or infinity."""
    pad = " " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k)}: {_json(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}" + ("\n" if depth == 0 else "")
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(pad + _json(v, depth + 1) for v in value) + "\n" + " " * depth + "]"
    return json.dumps(value, allow_nan=False)


def build_wheel(source: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    try:
        return packaging.build_wheel(source, out)
    except PackagingError as err:
        raise KitError(str(err)) from None


# ---- the scan ---------------------------------------------------------------------------------------

def _compact(text: str) -> str:
    return "".join(text.split())


def secret_lines(source: str) -> list[str]:
    """Every line of code worth hiding, whitespace removed: not blank, a comment, a docstring,
    an import, a def or class line (names are public), nor too short to be telling."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [c for c in map(_compact, source.splitlines()) if len(c) >= MIN_SECRET_CHARS]
    lines = source.splitlines()
    skip = set()
    for node in ast.walk(tree):
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, str)
        if docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            skip.update(range(node.lineno, node.end_lineno + 1))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:    # drop comments, keep the code before them
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    found = []
    for number, line in enumerate(lines, 1):
        head = line.strip()
        if number in skip or head.startswith(("def ", "async def ", "class ", "@")):
            continue
        if len(_compact(head)) >= MIN_SECRET_CHARS:
            found.append(_compact(head))
    return found


def secrets(folder: Path) -> list[str]:
    return [line for name in SECRET_FILES if (folder / name).exists()
            for line in secret_lines((folder / name).read_text())]


def leaks(wheel: Path, secret: list[str], others: list[Path] = ()) -> list[str]:
    """What in the wheel (and the other files) should not be there: a left-out file, or a line
    of secret code anywhere (whitespace ignored)."""
    found = []
    with zipfile.ZipFile(wheel) as archive:
        items = [(f"{wheel.name}:{n}", archive.read(n)) for n in archive.namelist()]
    items += [(str(p), p.read_bytes()) for p in others]
    for name, data in items:
        member = name.split(":")[-1]
        if Path(member).name in SECRET_FILES or (member.startswith("problems/") and Path(member).name in LEFT_OUT):
            found.append(f"{name} is in the kit")
        text = _compact(data.decode("utf-8", errors="replace"))
        found += [f"{name} holds a line of secret code: {line}" for line in secret if line in text]
    return found


# ---- the whole kit ----------------------------------------------------------------------------------

def build(problem_name: str, out: Path) -> Path:
    """Write the wheel and README.md into `out`; returns the wheel's path."""
    problem = specs.load(problem_name)
    if problem.kit:
        raise KitError("this grader is itself a student kit: it has no reference to build a kit from")
    leaked = hint_leaks(problem, secrets(problem.folder))
    if leaked:
        raise SpecError("the kit would give the reference away in a hint; nothing written:\n" + "\n".join(leaked))
    vectors = make_vectors(problem, load_config(problem.folder))
    named = f"{DISTRIBUTION}-{version(problem.spec)}-py3-none-any.whl"
    readme = student_readme(problem, named)
    with tempfile.TemporaryDirectory(prefix="grader-kit-") as tmp:
        staged = stage(problem, vectors, Path(tmp) / "src", readme)   # the wheel's description too
        wheel = build_wheel(staged, Path(tmp) / "dist")
        found = leaks(wheel, secrets(problem.folder))
        if found:
            raise KitError("the kit would give away the reference; nothing written:\n" + "\n".join(found[:20]))
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob(f"{DISTRIBUTION}-*.whl"):
            old.unlink()
        shutil.copy(wheel, out / wheel.name)
    (out / "README.md").write_text(readme.replace(named, wheel.name))
    return out / wheel.name


def _points(n: float) -> str:
    return f"{n:g} point" + ("" if n == 1 else "s")


def student_readme(problem, wheel_name: str) -> str:
    spec = problem.spec
    auto = "\n".join(f"- `{p.id}` ({_points(p.points)}): {p.title}" for p in spec.parts)
    manual = "\n".join(f"- `{m.id}` ({_points(m.points)}): {m.title}" for m in spec.manual) or "- none"
    return f"""# Self-check kit: {spec.title}

This kit installs `grader`, the command that grades your submission, with the public checks
only (its package is named `sandgrade`). Run it as often as you like before you submit.

## Install (once)

You need Python 3.10 or newer, on Linux or macOS (on Windows, inside WSL). It is tested on
Linux; tell the course staff if it misbehaves elsewhere. Install the file below (the project
called `grader` on PyPI is an unrelated one).

    python3 -m venv grader-env
    . grader-env/bin/activate
    pip install {wheel_name}

`pip` also installs NumPy, pydantic, click and nbformat.

## Check your work

    grader check my_solution.py          # or my_notebook.ipynb
    grader check my_solution.py --json   # the score document as JSON, for scripts

Exit status: 0 when every auto-graded part passed these checks, 1 when some did not, 2 when the
command was used wrongly (a missing file, a bad option). The report lists each check, and for a
failure the first failing input, what was expected and what your code returned.

Working in a Jupyter notebook with `grader.check("q…")` cells (an Otter-Grader assignment)? Also
install Otter in the same environment: `pip install 'otter-grader[grading]=={OTTER_VERSION}'`. Each
`grader.check` then runs these public checks on the cells you have run, as you ran them.

## What it checks

- **Fixed test vectors**: a few fixed inputs per part, some of them hard ones, with the
  reference solution's outputs on them, computed when this kit was made. The reference itself is
  not in the kit, neither as code nor as formulas.
- **Finite differences of your own code**: each gradient you return is compared with central
  finite differences of your own forward function, so a gradient that disagrees with your own
  forward fails here even when no test vector catches it.
- **Properties**: for example, that an estimate you return is a stationary point of your own
  objective, or that a value you keep for later holds what the next step needs.

## What it does not

When you submit, the grader also runs **hidden checks on randomized inputs** (many more cases)
and compares your gradients with finite differences of the **reference**. Passing here does not
promise full marks. A failure here points at a real mistake, though perhaps in another function
than the one named: a gradient that disagrees with your own forward may be right while the
forward is wrong.

Parts graded automatically:
{auto}

Parts graded by a person (shown as `manual`, not checked here):
{manual}

## About the warning

Your code runs in a separate process. Without bubblewrap (most laptops) `grader check` says
"student code runs with process isolation, weaker than bubblewrap": that is expected on your own
machine and changes no result. No part of the kit needs root.
"""
