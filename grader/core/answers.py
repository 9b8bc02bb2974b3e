"""The reference's answers as the plan's source of cases and expected values: seeded cases from the
problem's cases.py, and the answers of its reference.py (every equally right one), its finite
differences and the values a cache must hold, all computed here, in the judge, from trusted code.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from grader.sandbox.child import Shared, outermost_call, take
from grader.sandbox.protocol import tree_json
from grader.core import expr
from grader.core.cases import Case, generate
from grader.core.spec import Contains, Output, Part, Problem
from grader.errors import SpecError, author_error
from grader.judge import compare as cmp
from grader.judge import gradcheck
from grader.judge.contains import informative
from grader.judge.hints import Hints
from grader.judge.verdict import case_name


def where(part: Part, output: Output | None = None) -> str:
    """Which part of the spec, for its error messages."""
    return f"part {part.id}" + (f", output {output.label!r}" if output else "")


def fd_inputs(part: Part, output: Output, cases: list[Case]) -> None:
    """A gradient check's inputs are the spec's to name right: `wrt` (and `weights`) must be
    inputs of the case set, `wrt` a float or a float64 array."""
    g = output.gradient
    for case in cases[:1]:
        for key in ("wrt", "weights"):
            name = getattr(g, key)
            if name is not None and name not in case.inputs:
                raise SpecError(f"{where(part, output)}: gradient.{key} = {name!r} is not an input of case set "
                                f"{part.cases!r} (its inputs: {', '.join(case.inputs)})")
        value = case.inputs[g.wrt]
        if not (type(value) is float or (isinstance(value, np.ndarray) and value.dtype == np.float64)):
            dtype = f" of {value.dtype}" if isinstance(value, np.ndarray) else ""
            raise SpecError(f"{where(part, output)}: gradient.wrt = {g.wrt!r} is a {type(value).__name__}{dtype}: "
                            f"finite differences need a float or a float64 array")


class Cases:
    """Each case set generated once per grading, shared by the parts that use it."""

    def __init__(self, problem: Problem, seed: int):
        self.problem, self.seed, self.made = problem, seed, {}

    def __call__(self, name: str) -> list[Case]:
        if name not in self.made:
            case_set = self.problem.spec.case_sets[name]
            self.made[name] = generate(self.problem.generators[name], name, case_set.families, self.seed,
                                       folder=self.problem.folder)
            describe = self.problem.describers.get(name)
            for case in self.made[name] if describe else ():
                try:
                    case.context = str(describe(case.inputs))
                except MemoryError:   # past the judge's memory cap: not a mistake of the spec's
                    raise
                except Exception as err:
                    raise SpecError(f"case set {name!r}: describe = {case_set.describe!r} raised "
                                    f"{author_error(err, self.problem.folder)} on case {case_name(case)}") from None
        return self.made[name]


_compiled = Shared({})   # the child's own once-per-expression compiler, for the reference


def reference_eval(tree: list, namespace: dict, inputs: dict):
    """The reference's value, run here (it is ours), on copies of the inputs; each expression
    compiled once, as in the child."""
    return _compiled.compiled(tree_json(tree), tree)(namespace, inputs)


class Memo:
    """Outermost calls, each run once per expression, inputs and namespace; each output takes
    its keys from that one value: `forward(x)['z1']` and `forward(x)['h1']` cost one forward
    pass, as in the child. Only keys are taken from a kept value, which nothing else touches."""

    def __init__(self):
        self.held: dict[tuple, tuple[dict, object]] = {}

    def __call__(self, tree: list, namespace: dict, inputs: dict):
        call, keys = outermost_call(tree)
        slot = (tree_json(call), id(inputs), id(namespace))
        held = self.held.get(slot)
        if held is None or held[0] is not inputs:   # the inputs kept with the value: their id stays theirs
            held = self.held[slot] = (inputs, reference_eval(call, namespace, inputs))
        value = held[1]
        for key in keys:
            value = take(value, key)
        return value


def weighted_sum(value, weights, what: str) -> float:
    """sum(weights * value): the scalar whose gradient a `weights` gradient check takes. A value
    that is not an array of the weights' shape is the spec's mistake (SpecError, naming `what`)."""
    array, weights = numbers(value, what), np.asarray(weights, dtype=np.float64)
    if array.shape != weights.shape:
        raise SpecError(f"{what} gives {cmp._what(array.shape)}, but its weights have {cmp._what(weights.shape)}: "
                        f"the gradient is of sum(weights * value), so they must have the same shape")
    return float(np.sum(weights * array))


def numbers(value, what) -> np.ndarray:
    """value as a float64 array; what (text, or a function making it: only a mistake needs it)
    names it in the spec's error."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        what = what() if callable(what) else what
        raise SpecError(f"{what} gives a {type(value).__name__}, not a number or an array of "
                        f"numbers") from None


class Answers(Sequence):
    """A case's equally right answers: the primary reference's made now, the others (which differ
    only where a convention matters, at a kink say) the first time anything looks past it. A
    check that passes on the first answers (grader.judge.checks.AllClose) never needs them."""

    # A plan holds hundreds: slots and no closures, so the collector has few objects to scan
    __slots__ = ("_answers", "_others", "_tree", "_case")

    def __init__(self, first: np.ndarray, others: Referee | None = None, tree: list | None = None,
                 case: Case | None = None):
        """others: the referee that makes the other references' answers on (tree, case)."""
        self._answers, self._others, self._tree, self._case = [first], others, tree, case

    def complete(self) -> list[np.ndarray]:
        """Every answer, duplicates dropped (compare.distinct), made now if not yet."""
        if self._others is not None:
            made = self._others.other_answers(self._tree, self._case)   # a SpecError leaves it to do
            self._answers, self._others = cmp.distinct([self._answers[0], *made]), None
        return self._answers

    def __getitem__(self, index):
        return self._answers[0] if index == 0 else self.complete()[index]

    def __len__(self) -> int:
        return len(self.complete())

    def __iter__(self):
        return iter(self.complete())

    def __repr__(self) -> str:
        return f"Answers({self._answers!r}{', ...' if self._others else ''})"


class Referee:
    """The reference run on a case for one part of the spec, its errors said as the spec's
    mistakes: naming the part and output (`where`), the expression and the case. With a memo
    (a plan's, grader.core.answers.Memo), the cases of the plan share their calls; a case with
    moved inputs (finite differences) is run afresh."""

    def __init__(self, problem: Problem, where: str, memo: Memo | None = None):
        self.problem, self.where, self.memo = problem, where, memo

    def __call__(self, tree: list, case: Case, namespace: dict | None = None):
        namespace = self.problem.references[0] if namespace is None else namespace
        try:
            if self.memo is None or not case.key:
                return reference_eval(tree, namespace, case.inputs)
            return self.memo(tree, namespace, case.inputs)
        except MemoryError:   # past the judge's memory cap: not a mistake of the spec's
            raise
        except Exception as err:
            raise SpecError(f"{self.where}: the reference's {expr.show(tree)} raised "
                            f"{author_error(err, self.problem.folder)} on case {case_name(case)}") from None

    def values(self, tree: list, case: Case) -> list[np.ndarray]:
        """Every equally right answer on a case, duplicates dropped."""
        return self.answers(tree, case).complete()

    def answers(self, tree: list, case: Case) -> Answers:
        """Every equally right answer on a case, the primary's now and the others when needed."""
        first = self._numbers(self(tree, case, self.problem.references[0]), tree, case)
        return Answers(first, self, tree, case) if len(self.problem.references) > 1 else Answers(first)

    def other_answers(self, tree: list, case: Case) -> list[np.ndarray]:
        """The answers of every reference but the first (Answers.complete)."""
        return [self._numbers(self(tree, case, namespace), tree, case) for namespace in self.problem.references[1:]]

    def _numbers(self, value, tree: list, case: Case) -> np.ndarray:
        return numbers(value, lambda: f"{self.where}: the reference's {expr.show(tree)} on case {case_name(case)}")

    def scalar(self, tree: list, case: Case, inputs: dict, weights: str | None) -> float:
        """The reference's `of` at moved inputs, as the scalar a gradient is taken of."""
        moved = Case(inputs, family=case.family, index=case.index, label=case.label)   # no key: not memoised
        value = self(tree, moved)
        what = f"{self.where}: gradient.of = {expr.show(tree)!r} on case {case_name(case)}"
        if weights is not None:
            return weighted_sum(value, case.inputs[weights], what)
        array = numbers(value, what)
        if array.size != 1:
            raise SpecError(f"{what} gives {cmp._what(array.shape)}, not a scalar: a gradient is of a "
                            f"scalar; for an array output give the gradient `weights` (an input of its "
                            f"shape): the check is then of sum(weights * of)")
        return float(array.reshape(()))


def needles_for(needle_trees, cases, referee: Referee, count) -> list[tuple[Case, list[np.ndarray]]]:
    """The first `count` cases where every needle is informative, with the reference's needles."""
    chosen = []
    for case in cases:
        needles = [numbers(referee(t, case), f"{referee.where}: the reference's {expr.show(t)}")
                   for t in needle_trees]
        if informative(needles, case.inputs):
            chosen.append((case, needles))
        if len(chosen) == count:
            break
    return chosen


class ReferenceAnswers:
    """The plan's source of cases and expected values in the full grader (grader.core.plan says
    what a source gives): every check, on a seed's randomized cases."""
    kit = False

    def __init__(self, problem: Problem, seed: int):
        self.problem, self.made = problem, Cases(problem, seed)
        self.references = problem.references
        self.memo = Memo()     # the referees' and the hints' outermost calls, per case and namespace
        self.made_answers: list[Answers] = []   # every case's answers handed out (complete)

    def referee(self, part: Part, output: Output | None = None, where_: str | None = None) -> Referee:
        return Referee(self.problem, where_ or where(part, output), self.memo)

    def about(self, part: Part) -> dict[str, str]:
        return self.problem.spec.case_sets[part.cases].about

    def cases(self, part: Part, output: Output | None = None) -> list[Case]:
        return self.made(part.cases)

    def expected(self, part: Part, output: Output, tree: list, cases: list[Case]) -> list[Answers]:
        referee = self.referee(part, output)
        found = [referee.answers(tree, c) for c in cases]
        self.made_answers += found
        return found

    def complete(self) -> None:
        """Every answer the plan holds made now (a problem set's mistake in another reference
        raised here, not while a student is judged): for `grader lint` and a batch's preflight."""
        for answers in self.made_answers:
            answers.complete()

    def hints(self, part: Part, output: Output, cases: list[Case], expected: list, tol,
              up_to_constant: bool = False) -> Hints | None:
        hints = part.hints_for(output)
        told = [(h.message, expr.parse(h.mistake)) for h in hints]
        namespaces = self.problem.hint_namespaces
        if not (namespaces and told):
            return None
        by_tree = {tree_json(expr.parse(h.mistake)): h for h in hints}
        folder = self.problem.folder

        def evaluate_mistake(tree, namespace, inputs):
            def said():
                hint = by_tree[tree_json(tree)]
                return f"{where(part, output)}: the hint {hint.message!r}: its mistake {hint.mistake}"
            try:
                value = self.memo(tree, namespace, inputs)
            except MemoryError:   # past the judge's memory cap: not a mistake of the spec's
                raise
            except Exception as err:   # the author's mistake function: the spec's error, named
                raise SpecError(f"{said()} raised {author_error(err, folder)}") from None
            return value if value is None else numbers(value, said)
        return Hints(told, namespaces, cases, expected, tol, up_to_constant, evaluate=evaluate_mistake)

    def reference_differences(self, part: Part, output: Output, cases: list[Case]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Central differences of the reference's forward (output.gradient.of, or sum(weights * of))
        on each case, with their rounding error."""
        g = output.gradient
        referee, of_tree = self.referee(part, output), expr.parse(g.of)
        found = []
        for case in cases:
            forward = lambda inputs: referee.scalar(of_tree, case, inputs, g.weights)
            scale = 0.0   # a weighted sum's rounding follows its terms, not the sum
            if g.weights is not None:
                terms = case.inputs[g.weights] * numbers(referee(of_tree, case), referee.where)
                scale = float(np.sum(np.abs(terms)))
            found.append(gradcheck.numeric_gradient(forward, case.inputs, g.wrt, scale))
        return found

    def shapes(self, part: Part, output: Output, tree: list, cases: list[Case]) -> list[tuple]:
        """The reference's output shape on each case (what a student's value must fit)."""
        referee = self.referee(part, output)
        return [numbers(referee(tree, c), f"{referee.where}: the reference's {expr.show(tree)}").shape
                for c in cases]

    def needles(self, part: Part, item: Contains, count: int) -> list[tuple[Case, list[np.ndarray]]]:
        return needles_for([expr.parse(t) for t in item.any_of], self.cases(part),
                           self.referee(part, where_=f"part {part.id}, contains {item.label!r}"), count)

    def case_table(self) -> str:
        """Every case made so far, as the child receives them: call after building the checks."""
        return json.dumps({case.key: case.encoded() for made in self.made.made.values() for case in made})
