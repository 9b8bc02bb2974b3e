"""`grader lint PROBLEM`: a problem set checks itself over several seeds and says what is wrong,
naming the part, output, hint, case set or file, never with a traceback:
- the spec loads, and every function its expressions call is defined (grader.core.spec);
- each case generator is deterministic per seed, makes Cases of the types students receive,
  and finite numbers;
- the plan builds at each seed (every expression runs on the reference, a gradient's `of` is a
  scalar or has weights of its shape, finite differences have smooth cases);
- every check, the advisory ones too, passes on every entry of REFERENCES, answered in this
  process (reference_run): the reference's gradients agree with finite differences of the
  reference, its estimates are stationary points, its cache holds what is looked for;
- each hint's mistake runs on every case, is finite where the kit may store it, and differs
  from the right answers somewhere (else it can never fire; that it never fires on an accepted
  answer, grader.judge.hints' rule sees to: it must differ from every one on a failed case);
- template.py has a stub for every function the spec calls, taking its arguments, cells named
  after parts that exist, and no line of the reference;
- a trial student kit builds and passes its leak scan.
"""
from __future__ import annotations

import ast
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from grader.authoring import reference_run
from grader.core import expr
from grader.core import spec as specs
from grader.core.answers import ReferenceAnswers
from grader.core.cases import DEFAULT_SEED, Case, generate
from grader.core.plan import Plan
from grader.errors import GraderError, PackagingError, SpecError, UsageError

SEEDS = (DEFAULT_SEED, 0, 1)
MESSAGE_LINES = 14      # of a failing check's message, in a finding


@dataclass
class Finding:
    where: str          # "part 2b, output 'dx'", "case set 'batches'", "template.py", "student kit"
    message: str
    error: bool = True  # False: a note, which does not fail the lint
    seeds: list[int] = field(default_factory=list)
    same: str = ""      # what makes two findings the same one (Findings.add)

    def text(self) -> str:
        seeds = f" (seed{'s' if len(self.seeds) > 1 else ''} {', '.join(map(str, self.seeds))})" if self.seeds else ""
        return f"{'error' if self.error else 'note'}: {self.where}{seeds}: {self.message}"


class Findings(list):
    """Findings, each said once: the same one at several seeds lists the seeds."""

    def add(self, where: str, message: str, seed: int | None = None, error: bool = True,
            same: str | None = None) -> None:
        """same: what makes two findings one (default: the message); the first one's words stay."""
        key = (where, message if same is None else same)
        for found in self:
            if (found.where, found.same) == key:
                if seed is not None and seed not in found.seeds:
                    found.seeds.append(seed)
                return
        self.append(Finding(where, message, error, [] if seed is None else [seed], key[1]))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self if f.error]


def lint(name_or_path: str, seeds: tuple[int, ...] = SEEDS, kit: bool = True) -> tuple[Path, Findings]:
    """(the problem's folder, what is wrong with it). UsageError when it is not a problem folder."""
    with np.errstate(all="ignore"):   # an author's inf or NaN is a finding, not a warning
        return _lint(name_or_path, seeds, kit)


def _lint(name_or_path: str, seeds: tuple[int, ...], kit: bool) -> tuple[Path, Findings]:
    folder = specs.resolve(name_or_path)
    if not (folder / "spec.toml").is_file():
        raise UsageError(f"{folder} has no spec.toml: not a problem folder")
    if not (folder / "reference.py").is_file():
        raise UsageError(f"{folder} has no reference.py: lint checks a problem set with its reference "
                         "(a student kit's folder has only its vectors)")
    found, told_apart, hinted = Findings(), set(), False
    try:
        problem = specs.load(str(folder))
    except SpecError as err:
        found.add("spec", str(err))
        return folder, found
    for seed in seeds:
        if not _case_sets(problem, seed, found):
            continue     # the plan would only say it again
        try:
            plan = Plan(problem, seed)
            plan.complete()
        except SpecError as err:
            found.add("plan", str(err), seed)
            continue
        _checks_on_references(problem, plan, seed, found)
        told_apart |= _hints(problem, seed, found)
        hinted = True
    for part in problem.spec.parts:
        for hint in part.hints if hinted else ():   # none when no seed's plan could be made
            if (part.id, hint.output, hint.message) not in told_apart:
                found.add(f"part {part.id}, output {hint.output!r}, hint {hint.message!r}",
                          f"its mistake {hint.mistake} never differs from the right answers on any case: "
                          f"it can never fire", None)
    _duplicate_hints(problem, found)
    _template(problem, found)
    if kit:
        _trial_kit(problem, found)
    return folder, found


# ---- cases ----------------------------------------------------------------------------------------

def _case_sets(problem, seed: int, found: Findings) -> bool:
    """Each generator twice at the seed: the same cases, of finite numbers. Returns whether all
    of them made cases at all."""
    made_all = True
    for name, case_set in problem.spec.case_sets.items():
        where = f"case set {name!r}"
        try:
            made = [generate(problem.generators[name], name, case_set.families, seed, problem.folder)
                    for _ in range(2)]
        except SpecError as err:
            found.add(where, str(err).removeprefix(f"{where}: "), seed)
            made_all = False
            continue
        first, again = made
        if len(first) != len(again) or any(not _same_case(a, b) for a, b in zip(first, again)):
            differ = next((a for a, b in zip(first, again) if not _same_case(a, b)), first[-1] if first else None)
            found.add(where, f"{case_set.function} is not deterministic: the same seed made different cases "
                             f"(first at {differ.family} #{differ.index}); draw every random number from the "
                             f"`rng` it is given (not np.random.* or random.*)", seed)
            continue
        for case in first:
            for input_name, value in case.inputs.items():
                if np.asarray(value).dtype.kind == "f" and not np.all(np.isfinite(value)):
                    found.add(where, f"{case.family} #{case.index}: input {input_name!r} is not finite", seed)
    return made_all


def _same_case(a: Case, b: Case) -> bool:
    if (a.family, a.index, a.group, a.label, a.radius) != (b.family, b.index, b.group, b.label, b.radius):
        return False
    if list(a.inputs) != list(b.inputs):
        return False
    return all(type(a.inputs[k]) is type(b.inputs[k]) and np.asarray(a.inputs[k]).dtype == np.asarray(b.inputs[k]).dtype
               and np.array_equal(a.inputs[k], b.inputs[k], equal_nan=True) for k in a.inputs)


# ---- the checks, on the reference ----------------------------------------------------------------

def _checks_on_references(problem, plan: Plan, seed: int, found: Findings) -> None:
    cases = reference_run.case_inputs(plan.case_table)
    many = len(problem.references) > 1
    with np.errstate(all="ignore"):
        for part in problem.spec.parts:
            for planned in plan.parts[part.id]:
                for i, namespace in enumerate(problem.references):
                    verdict = reference_run.run(planned.check, namespace, cases, problem.folder)
                    if not verdict.passed:
                        which = f"REFERENCES[{i}]" if many else "the reference"
                        said = f"{which} fails its own check \u201c{planned.name}\u201d"
                        found.add(f"part {part.id}", f"{said}:\n{_gist(verdict.message)}", seed, same=said)


_GIST = ("Mismatched", "Max absolute", "Max relative", "tolerance", "wrong shape", "raised", "got holds",
         "your ", "hint:", "no function", "could not take", "returned", "at ")


def _gist(message: str) -> str:
    """A failing check's message without the case's inputs: its first line, the case, and what
    the comparison found."""
    lines = message.splitlines()
    head = 2 if len(lines) > 1 and lines[1].endswith("inputs:") else 1
    kept = lines[:head] + [line for line in lines[head:] if line.lstrip().startswith(_GIST)]
    if len(kept) <= head:
        kept = lines[:MESSAGE_LINES]
    return "\n".join("    " + line for line in kept)


# ---- hints -----------------------------------------------------------------------------------------

def _hints(problem, seed: int, found: Findings) -> set[tuple[str, str, str]]:
    """Each hint on its output's cases; returns those told apart from the right answers
    somewhere, as (part, output, message)."""
    told_apart = set()
    source = ReferenceAnswers(problem, seed)
    for part in problem.spec.parts:
        for output in part.outputs:
            tol = output.tolerance or problem.spec.tolerance
            tree = expr.parse(output.student)
            cases = source.cases(part, output)
            families: dict[str, list[Case]] = {}
            for case in cases:
                families.setdefault(case.family, []).append(case)
            for hint in part.hints_for(output):
                if _hint(problem, source, part, output, hint, tree, families, tol, seed, found):
                    told_apart.add((part.id, output.label, hint.message))
    return told_apart


def _hint(problem, source, part, output, hint, tree, families, tol, seed, found) -> bool:
    """Checks one hint at a seed; returns whether its mistake differs from the right answers on
    some case (a mistake that raises counts as told apart: it is reported already)."""
    where = f"part {part.id}, output {output.label!r}, hint {hint.message!r}"
    alone = replace(part, hints=[hint])
    told_apart = False
    for family, members in families.items():
        expected = source.expected(part, output, tree, members)
        hints = source.hints(alone, output, members, expected, tol, output.up_to_constant)
        try:
            (mistake,) = hints.every_mistake()
        except SpecError as err:
            found.add(where, "its mistake " + str(err).split(": its mistake ", 1)[-1], seed)
            return True
        told_apart |= any(mistake.distinct)
        for case, values in zip(members, mistake.values):
            if values is not None and hint.in_kit and not all(np.all(np.isfinite(v)) for v in values):
                found.add(where, f"its mistake is not finite on {family} #{case.index}, and in_kit = true: the "
                                 f"kit stores JSON numbers (return None where it makes no claim)", seed)
                break
    return told_apart


def _duplicate_hints(problem, found: Findings) -> None:
    for part in problem.spec.parts:
        for output in part.outputs:
            messages = [h.message for h in part.hints_for(output)]
            for message in {m for m in messages if messages.count(m) > 1}:
                found.add(f"part {part.id}, output {output.label!r}",
                          f"two hints share the message {message!r}: give each its own words")


# ---- template.py -------------------------------------------------------------------------------------

_CELL = re.compile(r"^# %% (?:part (?P<part>\S+)|(?P<other>\S+))\s*$", re.MULTILINE)   # as otter build reads them


def _calls(tree: list, found: dict[str, set[int]]) -> None:
    if tree[0] == "call":
        found.setdefault(tree[1], set()).add(len(tree[2]))
        for arg in tree[2]:
            _calls(arg, found)
    elif tree[0] == "item":
        _calls(tree[1], found)


def student_functions(spec) -> dict[str, set[int]]:
    """Every function the spec asks of students, with the numbers of arguments it is called with."""
    texts = [o.student for p in spec.parts for o in p.outputs]
    texts += [fd.of for p in spec.parts for o in p.outputs for fd in (o.gradient, o.stationary) if fd]
    texts += [c.student for p in spec.parts for c in p.contains]
    texts += [panel.student for plot in spec.plots.values() for panel in plot.panels]
    found: dict[str, set[int]] = {}
    for text in texts:
        _calls(expr.parse(text), found)
    return found


def _template(problem, found: Findings) -> None:
    path = problem.folder / "template.py"
    where = "template.py"
    if not path.is_file():
        found.add(where, "there is none: `grader otter build` makes the student notebook's starter code from "
                         "it (a `# %% part <id>` cell per part, with a stub of each function)", error=False)
        return
    text = path.read_text()
    try:
        module = ast.parse(text)
    except SyntaxError as err:
        found.add(where, f"is not Python: {err.msg} (line {err.lineno})")
        return
    stubs = {node.name: node for node in module.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for name, counts in sorted(student_functions(problem.spec).items()):
        stub = stubs.get(name)
        if stub is None:
            found.add(where, f"has no stub for {name}(), which the spec calls")
            continue
        positional = stub.args.posonlyargs + stub.args.args
        least = len(positional) - len(stub.args.defaults)
        for count in sorted(counts):
            if count < least or (count > len(positional) and stub.args.vararg is None):
                found.add(where, f"{name}() takes {len(positional)} arguments "
                                 f"({', '.join(a.arg for a in positional)}); the spec calls it with {count}")
    parts = [p.id for p in problem.spec.parts]
    for mark in _CELL.finditer(text):
        if mark.group("part") is not None and mark.group("part") not in parts:
            found.add(where, f"cell '# %% part {mark.group('part')}' names no auto-graded part of the spec "
                             f"({', '.join(parts)}): the notebook would leave it out")
        elif mark.group("other") not in (None, "setup"):
            found.add(where, f"cell '# %% {mark.group('other')}' would be left out of the notebook: "
                             f"`grader otter build` uses '# %% setup' and '# %% part <id>' cells")
    from grader.platforms import kit
    compact = "".join(text.split())
    for line in kit.secrets(problem.folder):
        if line in compact:
            found.add(where, f"holds a line of reference.py or mistakes.py ({line}): the template is the "
                             "students' starter code")


# ---- a trial kit -------------------------------------------------------------------------------------

def _trial_kit(problem, found: Findings) -> None:
    from grader.platforms import kit
    with tempfile.TemporaryDirectory(prefix="grader-lint-kit-") as tmp:
        try:
            kit.build(str(problem.folder), Path(tmp) / "kit")
        except PackagingError as err:
            found.add("student kit", f"the trial build could not run here: {err}", error=False)
        except GraderError as err:
            found.add("student kit", str(err))


def summary(folder: Path, findings: Findings, seeds: tuple[int, ...]) -> str:
    lines = [f.text() for f in findings]
    errors = len(findings.errors)
    lines.append(f"{folder}: " + (f"{errors} problem{'s' if errors != 1 else ''} found" if errors else
                                  f"no problems found (seeds {', '.join(map(str, seeds))})"))
    return "\n".join(lines)
