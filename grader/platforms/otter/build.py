"""`grader otter build DIR`: the student notebook, the test files and Otter's autograder zip.

The zip is made by the real `otter generate`. Its otter_config.json names grader's plugin, which
scores each question q<part> with grader's engine; the test files are what `grader.check("q1d")`
runs in the student's kernel.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.core import expr
from grader.platforms import packaging
from grader.core.spec import Problem
from grader.errors import OtterUnavailable

TEST_FILE = '''"""Question {name}: part {part} of {problem} ({title}). grader's engine grades it in its sandbox."""
from otter.test_files import test_case

from grader.platforms.otter.checks import check_part

OK_FORMAT = False   # an exception-based test file (OK-format doctests print np.True_ under NumPy 2)
name = "{name}"
points = {points!r}


@test_case(points={points!r}, hidden=False)
def {function}(env):
    check_part("{part}", env, problem="{problem}")
'''

# grader's Notebook says what ran; where grader is not installed (in its own sandbox, which
# grades this cell from the kernel's history, or on Colab) Otter's own does the same checks
SETUP_CELL = """try:
    from grader.platforms.otter.notebook import Notebook
except ImportError:
    from otter import Notebook
grader = Notebook(tests_dir="tests")"""

_CELL = re.compile(r"^# %% (?:part (?P<part>\S+)|(?P<other>\S+))\s*$", re.MULTILINE)


TEMPLATE = "template.py"
SHIPPED_PROBLEM = "grader_problem"   # the problem's folder in the zip (files/grader_problem), for the plugin


def template_cells(problem: Problem) -> dict[str, str]:
    """The starter code of template.py by cell: {"setup": ..., "1d": ...}."""
    path = problem.folder / TEMPLATE
    if not path.is_file():
        return {}
    text = path.read_text()
    marks = list(_CELL.finditer(text))
    cells = {}
    for mark, following in zip(marks, marks[1:] + [None]):
        body = text[mark.end():following.start() if following else len(text)].strip("\n")
        cells[mark.group("part") or mark.group("other")] = body.rstrip() + "\n"
    return cells


def called(part) -> list[str]:
    """What a part's checks call, as the spec writes it (`grads(a, t)['t']`)."""
    return list(dict.fromkeys([o.student for o in part.outputs] + [c.student for c in part.contains]))


def placeholder(part) -> str:
    """A part's cell when there is no template.py: what the checks call, so the student at least
    knows the names and arguments."""
    return f"# Part {part.id} is checked by calling:\n" + "".join(f"#     {c}\n" for c in called(part))


def template_warnings(problem: Problem) -> list[str]:
    """What the student notebook lacks because of template.py: all starter code when it is
    missing; a cell whose marker names no part (it is left out)."""
    spec = problem.spec
    if not (problem.folder / TEMPLATE).is_file():
        names = sorted(set().union(*(expr.functions(expr.parse(c)) for p in spec.parts for c in called(p))))
        return [f"{problem.folder} has no {TEMPLATE}, so the notebook {spec.name}.ipynb has no starter code: "
                f"students get no imports, no def lines with the arguments to take, and no docstrings "
                f"saying what to return, only a comment in each part's cell naming what its checks call "
                f"({', '.join(names)}). Write {TEMPLATE} with a `# %% part <id>` cell per part (and "
                f"`# %% setup`) to give them starter code."]
    known = {"setup", *(p.id for p in spec.parts)}
    return [f"{problem.folder / TEMPLATE}: the cell `# %% {'' if key == 'setup' else 'part '}{key}` names no part "
            f"of the spec ({', '.join(p.id for p in spec.parts)}), so it is left out of the notebook"
            for key in template_cells(problem) if key not in known]


def _ignored_code(source: str):
    """A cell Otter skips when grading (it runs its own), and grader skips too."""
    import nbformat
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["otter_ignore"]
    return cell


def student_notebook(problem: Problem):
    import nbformat
    v4 = nbformat.v4
    spec, cells = problem.spec, template_cells(problem)
    notebook = v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells.append(v4.new_markdown_cell(
        f"# {spec.title}\n\nWrite each function below. `grader.check(\"q…\")` runs the public "
        "checks on the cells you have run; the hidden randomized checks run when you submit."))
    notebook.cells.append(_ignored_code(SETUP_CELL))
    if "setup" in cells:
        notebook.cells.append(v4.new_code_cell(cells["setup"]))
    for part in spec.parts:
        notebook.cells.append(v4.new_markdown_cell(f"## Part {part.id}: {part.title} ({part.points:g} points)"))
        if part.id in cells:
            notebook.cells.append(v4.new_code_cell(cells[part.id]))
        elif not cells:    # no template.py at all (the build warns)
            notebook.cells.append(v4.new_code_cell(placeholder(part)))
        notebook.cells.append(_ignored_code(f'grader.check("q{part.id}")'))
    for manual in spec.manual:
        notebook.cells.append(v4.new_markdown_cell(
            f"## {manual.id}: {manual.title} ({manual.points:g} points, graded by hand)\n\n*Your answer here.*"))
    return notebook


def test_files(problem: Problem, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for part in problem.spec.parts:
        name = f"q{part.id}"
        (folder / f"{name}.py").write_text(TEST_FILE.format(
            name=name, part=part.id, problem=problem.spec.name, title=part.title, points=part.points,
            function="grader_part_" + re.sub(r"\W", "_", part.id)))


def _otter_generate(work: Path, zip_path: Path, support: list[Path]) -> None:
    try:
        import otter  # noqa: F401
    except ImportError:
        raise OtterUnavailable("grader otter build needs otter-grader: pip install 'sandgrade[otter]'") from None
    done = subprocess.run(
        [sys.executable, "-m", "otter", "generate", "-t", "tests", "-o", str(zip_path),
         "-c", "otter_config.json", "-r", "requirements.txt",
         *[str(p.relative_to(work)) for p in support]],
        cwd=work, capture_output=True, text=True)
    if done.returncode != 0 or not zip_path.is_file():
        raise OtterUnavailable(f"otter generate failed:\n{(done.stderr or done.stdout).strip()[-2000:]}")


def build(problem: Problem, out: Path) -> list[Path]:
    """Write DIR/<name>.ipynb, DIR/tests/ and DIR/autograder.zip; returns them. The problem may
    be in any folder: the zip carries a copy of it, which the plugin grades with."""
    import nbformat
    if problem.kit:
        raise OtterUnavailable(f"{problem.folder} is a student kit's problem: it has no reference to grade "
                               "with; build the assignment from the problem's own folder")
    name = packaging.installed_name(problem)
    out.mkdir(parents=True, exist_ok=True)
    notebook_path = out / f"{problem.spec.name}.ipynb"
    nbformat.write(student_notebook(problem), notebook_path)
    test_files(problem, out / "tests")
    zip_path = out / "autograder.zip"
    with tempfile.TemporaryDirectory(prefix="grader-otter-") as tmp:
        work = Path(tmp)
        shutil.copytree(out / "tests", work / "tests")
        wheel = packaging.wheel(work, [problem])
        # the plugin grades with this copy, so `otter run` needs no install of the problem; the
        # wheel holds it too, for the kernel's grader.check on Gradescope
        shutil.copytree(problem.folder, work / SHIPPED_PROBLEM,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        (work / "otter_config.json").write_text(json.dumps({
            "lang": "python",
            "plugins": [{"grader.platforms.otter.plugin.GraderPlugin": {"problem": name,
                                                                        "folder": SHIPPED_PROBLEM}}],
        }, indent=2))
        # on Gradescope the zip's support files sit in /autograder/source/files
        (work / "requirements.txt").write_text(
            f"numpy\nnbformat\n/autograder/source/files/{wheel.name}\n")
        _otter_generate(work, zip_path.resolve(), [wheel, work / SHIPPED_PROBLEM])
    return [notebook_path, out / "tests", zip_path]
