"""The student notebook's `grader`: Otter's Notebook, whose check shows grader's words for grader's
questions ("q1d: public checks passed; hidden checks run when you submit") where Otter would say
"All test cases passed!", which is not what ran. Everything else is Otter's (its log, export,
check_all, hand-written tests), and the result is still Otter's test file, so Otter can log it.
"""
from __future__ import annotations

import html
import sys

from otter import Notebook as OtterNotebook
from otter.test_files.exception_test import ExceptionTestFile

from grader.platforms.otter import checks


class Checked(ExceptionTestFile):
    """Otter's result of one of grader's questions, summarized in grader's words."""

    said: str = ""

    @classmethod
    def of(cls, result: ExceptionTestFile, said: str) -> "Checked":
        checked = cls.__new__(cls)
        checked.__dict__.update(vars(result))
        checked.said = said
        return checked

    def summary(self, public_only: bool = False) -> str:
        return self.said

    def _repr_html_(self):
        return f"<pre>{html.escape(self.said)}</pre>"


class Notebook(OtterNotebook):

    def check(self, question: str, global_env: dict | None = None):
        env = sys._getframe(1).f_globals if global_env is None else global_env
        checks.feedback.pop(question, None)
        result = super().check(question, env)
        said = checks.feedback.pop(question, None)
        if said is None or not isinstance(result, ExceptionTestFile):   # a test not of grader's
            return result
        return Checked.of(result, said[1])
