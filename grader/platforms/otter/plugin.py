"""An Otter plugin that scores grader's questions with grader's sandboxed engine.

before_grading runs in Otter's grading process before the submission executes: it grades the
file as uploaded (the student's code runs only in grader's sandbox). after_grading then throws
away whatever the kernel reported for grader's questions (code in the kernel can patch Otter's
test runner) and puts grader's verdicts in their place, question q<part> for part <part>. The
instructor's own Otter tests (a hand-written tests/q4.py) keep the result Otter gave them.
"""
from __future__ import annotations

import os
from pathlib import Path

from otter.plugins import AbstractOtterPlugin
from otter.test_files.abstract_test import TestCase, TestCaseResult
from otter.test_files.exception_test import ExceptionTestFile

from grader.core.cases import DEFAULT_SEED
from grader.platforms.otter import compat
from grader.platforms.otter.checks import SCORED_BY_PLUGIN


class OtterIncompatible(RuntimeError):
    pass


class GraderPlugin(AbstractOtterPlugin):

    def before_grading(self, config):
        from grader.core import spec
        from grader.core.engine import grade
        from grader.submitters import seed_for
        from grader.submissions.files import Source
        differences = compat.changed()
        if differences:
            import otter
            raise OtterIncompatible(
                f"grader's Otter plugin was written against otter-grader {compat.TESTED_WITH}; "
                f"otter-grader {otter.__version__} differs: " + "; ".join(differences))
        problem = self._problem()
        seed = seed_for(self.submission_metadata or {})
        self.seed = DEFAULT_SEED if seed is None else seed
        path = Path(self.submission_path)
        upload = Source(str(path.parent), (path.name,))   # read as an upload: a link is refused
        self.document = grade(upload, problem, self.seed, submission_id=path.name)
        self.tests = path.parent / "tests"    # where Otter put the assignment's test files
        os.environ[SCORED_BY_PLUGIN] = "1"    # the kernel (started after this) leaves them to us

    def _problem(self):
        """The zip's own copy of the problem (Otter unpacks the zip into <autograder>/source, the
        submission into <autograder>/submission), so `otter run` needs no install of it; a zip
        built before it carried one names an installed problem."""
        from grader.core import spec
        shipped = self.plugin_config.get("folder")
        folder = Path(self.submission_path).parent.parent / "source" / "files" / shipped if shipped else None
        if folder is not None and (folder / "spec.toml").is_file():
            return spec.load(str(folder))
        return spec.load(self.plugin_config.get("problem", spec.DEFAULT_PROBLEM))

    def after_grading(self, results):
        ours = {f"q{part.id}": part for part in self.document.parts if part.status != "manual"}
        theirs = {name: result for name, result in results.results.items() if name not in ours}
        if results._catastrophic_error is not None:   # the kernel died: only grader's score here
            theirs = {name: _not_reported(path, results._catastrophic_error)
                      for name, path in _instructor_tests(self.tests, set(ours)).items()}
        results.clear_results()
        results._catastrophic_error = None   # a kernel that died does not decide grader's questions
        for name, part in ours.items():
            results.results[name] = _question(part)
        results.results.update(theirs)
        os.environ.pop(SCORED_BY_PLUGIN, None)
        results.set_output(f"Scored by grader {self.document.grader_version} in its sandbox "
                           f"({self.document.isolation} isolation), seed {self.seed}."
                           + (f" Otter graded {', '.join(sorted(theirs))}." if theirs else ""))


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


def _instructor_tests(folder: Path, ours: set[str]) -> dict[str, Path]:
    """The assignment's other test files by question name (the instructor's own code: Otter
    runs it in its kernel; here it is read as Otter reads it)."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file
    found = {}
    for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
        if path.name != "__init__.py":
            name = create_test_file(str(path), NBMetadataConfig()).name
            if name not in ours:
                found[name] = path
    return found


def _not_reported(path: Path, error: Exception):
    """A question of the instructor's that the kernel did not report: every case failed."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file
    question = create_test_file(str(path), NBMetadataConfig())
    question.test_case_results = [
        TestCaseResult(test_case=case, passed=False,
                       message=f"not run: the notebook's kernel did not finish ({str(error)[:300]})")
        for case in question.test_cases]
    return question
