"""An Otter plugin that scores every question with grader's sandboxed engine.

before_grading runs in Otter's grading process before the submission executes: it grades the
file as uploaded (the student's code runs only in grader's sandbox). after_grading then throws
away whatever the kernel reported (code in the kernel can patch Otter's test runner) and puts
grader's verdicts in its place, question q<part> for part <part>.
"""
from __future__ import annotations

from pathlib import Path

from otter.plugins import AbstractOtterPlugin
from otter.test_files.abstract_test import TestCase, TestCaseResult
from otter.test_files.exception_test import ExceptionTestFile

from grader.cases import DEFAULT_SEED


class GraderPlugin(AbstractOtterPlugin):

    def before_grading(self, config):
        from grader import spec
        from grader.engine import grade
        from grader.gradescope import seed_for
        from grader.submission import Source
        problem = spec.load(self.plugin_config.get("problem", spec.DEFAULT_PROBLEM))
        seed = seed_for(self.submission_metadata or {})
        self.seed = DEFAULT_SEED if seed is None else seed
        path = Path(self.submission_path)
        upload = Source(str(path.parent), (path.name,))   # read as an upload: a link is refused
        self.document = grade(upload, problem, self.seed, submission_id=path.name)

    def after_grading(self, results):
        results.clear_results()
        results._catastrophic_error = None   # a kernel that died does not decide the score
        for part in self.document.parts:
            if part.status != "manual":
                results.results[f"q{part.id}"] = _question(part)
        results.set_output(f"Scored by grader {self.document.grader_version} in its sandbox "
                           f"({self.document.isolation} isolation), seed {self.seed}.")


def _question(part) -> ExceptionTestFile:
    name = f"q{part.id}"
    weight = sum(c.points for c in part.checks) or 1.0
    cases, outcomes = [], []
    for number, check in enumerate(part.checks, start=1):
        case = TestCase(name=f"{name} - {number}: {check.name}", body=None, hidden=check.hidden,
                        points=part.max_score * check.points / weight,
                        success_message=None, failure_message=None)
        cases.append(case)
        outcomes.append(TestCaseResult(test_case=case, passed=check.passed,
                                       message="passed" if check.passed else check.message))
    question = ExceptionTestFile(name, f"tests/{name}.py", cases, all_or_nothing=False)
    question.test_case_results = outcomes
    question.update_score(part.score or 0.0)
    return question
