"""Which part of grader may import which: the import graph of grader/, read with `ast` (imports
at module level and inside functions alike; an import under `if TYPE_CHECKING:` is a type only
and never runs, so it is left out), held to a table of allowed directions:
- no import cycle between units (a package, or a module of its own);
- the core flow (grader/core) imports no command line (click), no platform, and of the sandbox
  only what it exports (SANDBOX_API);
- the judge (grader/judge) imports nothing of the core flow, the sandbox, click or platforms;
- the child's side (child.py, run inside the sandbox, and the modules grader.sandbox.isolation
  sends along with it as text, SENT_ALONG: confine, standins, protocol) imports nothing of ours
  but each other, and nothing beyond the standard library and NumPy: so a module the child
  imports that is not sent along fails here, before it fails inside the sandbox.
The checks are functions of a source tree, so a planted violation can be shown to fail them.
"""
from __future__ import annotations

import ast
import shutil
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tests.conftest import ROOT

# Modules that make one unit: a package (name.*), or the modules named. Any other module of
# grader/ is a unit of its own. The child's side comes first: its modules sit in grader/sandbox
# but run inside the sandbox (sent as text), so they are a unit apart.
UNITS = {
    # the child and what isolation.SENT_ALONG sends with it (protocol: the wire format, both sides)
    "child": {"grader.sandbox.child", "grader.sandbox.standins", "grader.sandbox.confine",
              "grader.sandbox.protocol"},
    "core": {"grader.core.*"},
    "judge": {"grader.judge.*"},
    "sandbox": {"grader.sandbox.*"},
    "submissions": {"grader.submissions.*"},
    "plotting": {"grader.plotting.*"},
    "platforms": {"grader.platforms.*"},
    "batch": {"grader.batch.*"},
    "reports": {"grader.reports.*"},
}
# What the sandbox exports to the core flow: its package's own names (grader/sandbox/__init__.py).
SANDBOX_API = {"grader.sandbox"}
# The units each restricted unit may import (its own included); others may import any unit, as
# long as there is no cycle.
ALLOWED = {
    # child: the evaluator the reference shares with the child, and the bounds the child keeps
    "judge": {"judge", "child"},
    # submissions: the file as units of code; text: the sanitiser
    "core": {"core", "judge", "child", "grader", "errors", "text", "submissions", "sandbox"},
    "child": {"child"},
}
THIRD_PARTY = {   # beyond the standard library: None = anything
    "child": {"numpy"},
    "core": {"numpy", "pydantic", "tomli"},
    "judge": {"numpy"},
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sent_along(root: Path) -> set[str]:
    """The modules grader.sandbox.isolation sends along with the child (its SENT_ALONG, as written)."""
    tree = ast.parse((root / "grader/sandbox/isolation.py").read_text())
    found = [node.value for node in tree.body if isinstance(node, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == "SENT_ALONG" for t in node.targets)]
    return set(ast.literal_eval(found[-1])) if found else set()


def units_of(root: Path) -> dict[str, set[str]]:
    """UNITS, with the child's side as the source tree says: the child and what is sent along."""
    return {**UNITS, "child": {"grader.sandbox.child", *sent_along(root)}}


def unit_of(module: str, units: dict[str, set[str]] = UNITS) -> str:
    for unit, members in units.items():
        for member in members:
            if module == member or (member.endswith(".*") and
                                    (module + ".").startswith(member[:-1])):   # the package and below
                return unit
    return module.partition(".")[2] or "grader"   # grader.cli -> cli; grader itself -> grader


def _type_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import and ImportFrom that can run: the body of `if TYPE_CHECKING:` left out."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        children = list(ast.iter_child_nodes(node))
        if _type_only(node):
            children = node.orelse
        todo.extend(children)


def import_graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> modules of ours it imports, module -> top-level names of others it imports)."""
    files = {module_name(root, p): p for p in (root / "grader").rglob("*.py")}
    ours: dict[str, set[str]] = {m: set() for m in files}
    others: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:   # relative: from the package, up level - 1
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                           for alias in node.names]
            for target in targets:
                if target.split(".")[0] != "grader":
                    others[module].add(target.split(".")[0])
                    continue
                while target not in files:          # grader.core.spec.Problem -> grader.core.spec
                    target = target.rpartition(".")[0]
                if target != module:
                    ours[module].add(target)
    return ours, others


def violations(root: Path) -> list[str]:
    ours, others = import_graph(root)
    found = []
    units: dict[str, set[str]] = {}
    table = units_of(root)
    for module, targets in sorted(ours.items()):
        unit = unit_of(module, table)
        units.setdefault(unit, set())
        for target in sorted(targets):
            to = unit_of(target, table)
            if to != unit:
                units[unit].add(to)
            if unit in ALLOWED and to not in ALLOWED[unit]:
                found.append(f"{module} imports {target}: {unit} may import only {sorted(ALLOWED[unit])}")
            if unit == "core" and to == "sandbox" and target not in SANDBOX_API:
                found.append(f"{module} imports {target}: the core uses only what the sandbox exports "
                             f"({sorted(SANDBOX_API)})")
        if unit in THIRD_PARTY:
            for name in sorted(others[module] - set(sys.stdlib_module_names) - THIRD_PARTY[unit]):
                found.append(f"{module} imports {name}: {unit} may import only the standard library "
                             f"and {sorted(THIRD_PARTY[unit])}")
    try:
        TopologicalSorter(units).prepare()   # raises on a cycle
    except CycleError as err:
        found.append(f"units import each other in a cycle: {' -> '.join(err.args[1])}")
    return found


def test_grader_keeps_its_import_directions():
    assert violations(ROOT) == []
    assert units_of(ROOT)["child"] == UNITS["child"]   # the table says what isolation sends


def test_the_graph_is_read_as_written():
    """The reading itself: imports at module level and in functions, by every form, are seen."""
    ours, others = import_graph(ROOT)
    assert "grader.core.plan" in ours["grader.core.engine"]             # from grader.core.plan import ...
    assert "grader.judge.compare" in ours["grader.judge.checks"]        # from grader.judge import compare as cmp
    assert "grader.sandbox.standins" in ours["grader.sandbox.child"]                    # inside a function
    assert "grader.core.cases" not in ours["grader.judge.verdict"]      # under TYPE_CHECKING only
    assert "grader" in ours["grader.platforms.packaging"]                         # import grader
    assert "click" in others["grader.cli"] and "numpy" in others["grader.sandbox.child"]
    assert unit_of("grader.core.spec") == "core" and unit_of("grader.core") == "core"
    assert unit_of("grader.platforms.otter") == unit_of("grader.platforms.otter.plugin") == unit_of("grader.platforms.kit") == "platforms"
    assert unit_of("grader.sandbox.protocol") == "child" and unit_of("grader.sandbox") == unit_of("grader.sandbox.session") == "sandbox"
    assert unit_of("grader.cli") == "cli" and unit_of("grader") == "grader" and unit_of("grader.coreish") == "coreish"


PLANTS = [   # (file, code added to it, words of the violation it must cause)
    ("grader/judge/compare.py", "\ndef _f():\n    import click\n", "grader.judge.compare imports click"),
    ("grader/judge/hints.py", "\nfrom grader.core import engine\n", "grader.judge.hints imports grader.core.engine"),
    ("grader/judge/values.py", "\nfrom grader.sandbox import session\n", "grader.judge.values imports grader.sandbox.session"),
    ("grader/core/score.py", "\ndef _f():\n    from grader.platforms.otter import build\n", "grader.core.score imports grader.platforms.otter.build"),
    ("grader/core/plan.py", "\nfrom grader.platforms import kit\n", "grader.core.plan imports grader.platforms.kit"),
    ("grader/core/engine.py", "\nfrom grader.sandbox.cgroup import Cgroup\n", "what the sandbox exports"),
    ("grader/core/cases.py", "\nimport click\n", "grader.core.cases imports click"),
    ("grader/sandbox/child.py", "\ndef _f():\n    from grader import text\n", "grader.sandbox.child imports grader.text"),
    ("grader/sandbox/standins.py", "\nimport scipy\n", "grader.sandbox.standins imports scipy"),
    ("grader/sandbox/protocol.py", "\nfrom grader.sandbox import session\n", "grader.sandbox.protocol imports grader.sandbox.session"),
    ("grader/sandbox/protocol.py", "\nimport pydantic\n", "grader.sandbox.protocol imports pydantic"),
    # the child imports protocol at run time: no longer sent along, it would not be there
    ("grader/sandbox/isolation.py", '\nSENT_ALONG = ("grader.sandbox.confine", "grader.sandbox.standins")\n',
     "grader.sandbox.child imports grader.sandbox.protocol: child may import only"),
    ("grader/core/engine.py", "\nfrom grader.sandbox.session import ChildSession\n", "what the sandbox exports"),
    ("grader/reports/terminal.py", "\ndef _f():\n    from grader import cli\n", "cycle"),
]


def test_a_planted_violation_fails(tmp_path):
    shutil.copytree(ROOT / "grader", tmp_path / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    assert violations(tmp_path) == []
    for path, code, words in PLANTS:
        target = tmp_path / path
        original = target.read_text()
        target.write_text(original + code)
        try:
            found = violations(tmp_path)
            assert any(words in v for v in found), (path, found)
        finally:
            target.write_text(original)
    typed = tmp_path / "grader/judge/hints.py"   # a type-only import is no violation
    typed.write_text(typed.read_text() + "\nif TYPE_CHECKING:\n    from grader.core.engine import Plan\n")
    assert violations(tmp_path) == []
