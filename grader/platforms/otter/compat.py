"""The Otter-Grader internals grader's plugin and checks rely on, checked by name and signature.

None of them is Otter's documented API. pyproject.toml pins the version they were read from;
tests/test_otter_internals.py fails naming what changed, and the plugin refuses to grade with an
Otter where one is gone (a wrong score would be worse than none).
"""
from __future__ import annotations

import inspect

TESTED_WITH = "7.0.0"    # as pinned in pyproject.toml's `otter` extra


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def changed() -> list[str]:
    """What differs from the Otter the plugin was written against; [] when nothing does."""
    from otter import Notebook
    from otter.execute import Checker, preprocessor
    from otter.plugins import AbstractOtterPlugin
    from otter.test_files import GradingResults
    from otter.test_files.abstract_test import TestCase, TestCaseResult, TestFile
    from otter.test_files.exception_test import ExceptionTestFile, test_case

    found = []

    def expect(what: str, ok: bool) -> None:
        if not ok:
            found.append(what)

    results = GradingResults([])
    expect("GradingResults().results is a dict of test name -> TestFile",
           isinstance(getattr(results, "results", None), dict))
    expect("GradingResults has clear_results() and set_output(text)",
           callable(getattr(results, "clear_results", None)) and callable(getattr(results, "set_output", None)))
    expect("GradingResults()._catastrophic_error exists (None when the kernel ran)",
           getattr(results, "_catastrophic_error", "absent") is None)
    expect("ExceptionTestFile(name, path, test_cases, all_or_nothing)",
           _parameters(ExceptionTestFile.__init__)[:5] == ["self", "name", "path", "test_cases", "all_or_nothing"])
    expect("TestFile has test_case_results, update_score(score) and score",
           "update_score" in vars(TestFile) and isinstance(vars(TestFile).get("score"), property)
           and "test_case_results" in TestFile.__annotations__)
    expect("TestCase(name, body, hidden, points, success_message, failure_message)",
           _parameters(TestCase)[:6] == ["name", "body", "hidden", "points", "success_message", "failure_message"])
    expect("TestCaseResult(test_case, message, passed)",
           _parameters(TestCaseResult)[:3] == ["test_case", "message", "passed"])
    expect("test_case(points=, hidden=) decorates a function whose `env` argument gets the globals",
           {"points", "hidden"} <= set(_parameters(test_case.__init__)) and "env" in inspect.getsource(test_case.call_func))
    expect("AbstractOtterPlugin(submission_path, submission_metadata, plugin_config) with "
           "before_grading(config) and after_grading(results)",
           _parameters(AbstractOtterPlugin.__init__)[1:4] == ["submission_path", "submission_metadata", "plugin_config"]
           and callable(getattr(AbstractOtterPlugin, "before_grading", None))
           and callable(getattr(AbstractOtterPlugin, "after_grading", None)))
    expect("Notebook.check(question, global_env)", _parameters(Notebook.check)[:3] == ["self", "question", "global_env"])
    expect("grading mode checks every test with Checker.check_if_not_already_checked(test_path, global_env)",
           "Checker.check_if_not_already_checked(" in preprocessor.EXPORT_CELL_SOURCE
           and _parameters(Checker.check_if_not_already_checked)[:2] == ["test_path", "global_env"])
    expect("grading mode's first cell imports `from otter import Notebook as ...` (a stand-in in grader's sandbox)",
           "from otter import Notebook as" in preprocessor.INIT_CELL_SOURCE)
    return found
