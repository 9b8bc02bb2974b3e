"""Stand-ins for modules the sandbox does not provide (runs in the child only: stdlib, NumPy).

Students import what their notebook used: matplotlib for the worksheet's sketches, Colab's and
Jupyter's display helpers, tqdm, and now and then scipy or torch. None of it is in the sandbox,
and a failing import would lose every function defined after it. So, for imports made by the
student's own code and not guarded by `except ImportError`:
- display and plotting modules (DISPLAY) import and do nothing: every call returns an inert
  object, `tqdm(xs)` is `xs`, `plt.subplots(2, 2)` gives a figure and a 2x2 array of axes;
- any other module imports as a placeholder: the first call into it raises ModuleNotProvided,
  naming the student's function and what it used, so only the parts that use it lose points.
Nothing real is made importable here: a stand-in is an object of ours, never the module.
"""
from __future__ import annotations

import sys
from types import ModuleType

DISPLAY = ("matplotlib", "seaborn", "IPython", "google.colab", "ipywidgets", "tqdm", "pylab",
           "plotly", "bokeh", "ipympl", "mpl_toolkits", "matplotlib_inline", "termcolor", "rich",
           "otter")   # an Otter notebook's own `grader.check(...)` calls: nothing to do while grading
PYLAB_NAMES = ("plot figure show subplot subplots xlabel ylabel title legend grid xlim ylim "
               "scatter hist imshow axis savefig close tight_layout colorbar axhline axvline text "
               "annotate fill_between semilogy semilogx loglog errorbar bar contour contourf "
               "suptitle clf gca gcf xticks yticks").split()


class ModuleNotProvided(ModuleNotFoundError):
    """Raised by the first use of a placeholder module."""


# ---- display modules: inert --------------------------------------------------------------------

class Inert:
    """What a display call gives back: every attribute, call, item and `with` does nothing."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args, **kwargs):
        # a decorator (@interact, @widgets.interact(x=...)) hands the function back unchanged
        if len(args) == 1 and not kwargs and (isinstance(args[0], type) or hasattr(args[0], "__code__")):
            return args[0]
        return self

    def __setattr__(self, name, value):
        pass

    def __getitem__(self, key):
        return self

    def __setitem__(self, key, value):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __iter__(self):   # one item: `line, = ax.plot(x, y)` unpacks
        return iter((self,))

    def __len__(self):
        return 1

    def __bool__(self):
        return True

    def __repr__(self):
        return "<display stand-in>"


INERT = Inert()


def _subplots(nrows=1, ncols=1, *args, squeeze=True, **kwargs):
    """Matplotlib's shape rules: one Axes, a 1-d array, or a 2-d array of them."""
    import numpy as np
    axes = np.empty((nrows, ncols), dtype=object)
    axes.fill(INERT)
    if squeeze:
        axes = axes.item() if axes.size == 1 else axes.squeeze()
    return INERT, axes


class _Progress(Inert):
    """tqdm and friends: the iterable itself, so the loop runs as written."""

    def __call__(self, iterable=None, *args, **kwargs):
        return INERT if iterable is None else iterable


def _trange(*args, **kwargs):
    return range(*args)


SPECIAL = {"subplots": _subplots, "tqdm": _Progress(), "tqdm_notebook": _Progress(),
           "trange": _trange, "tnrange": _trange, "display": lambda *a, **k: None,
           "get_ipython": lambda: INERT}


class DisplayModule(ModuleType):
    def __getattr__(self, name):
        if name == "__version__":
            return "0+stand-in"
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return SPECIAL.get(name, INERT)


def _pylab(module: ModuleType) -> None:
    """`from pylab import *` gives NumPy's names and pyplot's, as the real one does."""
    import numpy as np
    names = [n for n in getattr(np, "__all__", dir(np)) if not n.startswith("_") and hasattr(np, n)]
    module.__dict__.update({n: getattr(np, n) for n in names})
    module.__dict__["np"] = np
    module.__all__ = names + PYLAB_NAMES + ["np"]


# ---- every other module: a placeholder that fails when used -------------------------------------

def _student_function(units: frozenset) -> str:
    """The innermost function of the student's own code on the stack ("your code" at top level)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename in units:
            name = frame.f_code.co_name
            return "your code" if name == "<module>" else f"`{name}`"
        frame = frame.f_back
    return "your code"


class Absent(type):
    """The type of everything taken from a placeholder module. Being classes, they can be
    subclassed (`class Net(torch.nn.Module)`) and used in isinstance (never true); calling,
    indexing or computing with one raises ModuleNotProvided."""

    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return absent(f"{cls._grader_name}.{name}", cls._grader_finder)

    def _fail(cls, *args, **kwargs):
        finder = cls._grader_finder
        who = _student_function(finder.units)
        raise ModuleNotProvided(f"{who} uses {cls._grader_name}, which this problem set does not "
                                f"provide: use {finder.offer}")

    __call__ = __getitem__ = __iter__ = __len__ = __float__ = __int__ = __index__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _fail
    __rtruediv__ = __floordiv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _fail
    __neg__ = __pos__ = __abs__ = __lt__ = __le__ = __gt__ = __ge__ = _fail

    def __bool__(cls):
        return True

    def __instancecheck__(cls, obj):
        return False

    def __subclasscheck__(cls, sub):
        return False

    def __repr__(cls):
        return f"<{cls._grader_name}: not provided here>"


def absent(name: str, finder) -> Absent:
    return Absent(name.rsplit(".", 1)[-1], (), {"_grader_name": name, "_grader_finder": finder})


class PlaceholderModule(ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = absent(f"{self.__name__}.{name}", self.__grader_finder__)
        setattr(self, name, value)
        return value


# ---- the finder ------------------------------------------------------------------------------------

class StandInFinder:
    """Last on sys.meta_path: asked only about modules nothing real provides. It answers only
    for an `import` run by the student's own code (not NumPy's optional imports, not
    importlib.util.find_spec probes) outside a `try` that handles ImportError."""

    def __init__(self, units: frozenset, guarded: frozenset, offer: str):
        self.units = units          # the filenames the student's code was compiled under
        self.guarded = guarded      # (filename, line) of imports inside `try ... except ImportError`
        self.offer = offer          # what to use instead, in the message: "NumPy"
        self.display: list[str] = []
        self.placeholders: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        from importlib.machinery import ModuleSpec
        if not self._student_import():
            return None
        return ModuleSpec(fullname, self, is_package=True)

    def _student_import(self) -> bool:
        frame, loading = sys._getframe(2), False
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith("<frozen importlib"):
                loading = loading or frame.f_code.co_name == "_find_and_load"
            elif "importlib" not in filename:   # import_module() is importlib's own code
                return loading and filename in self.units and (filename, frame.f_lineno) not in self.guarded
            frame = frame.f_back
        return False

    def create_module(self, spec):
        name = spec.name
        if is_display(name):
            module = DisplayModule(name)
            if name in ("pylab", "matplotlib.pylab"):
                _pylab(module)
            _note(self.display, name)
        elif any(d.startswith(name + ".") for d in DISPLAY):   # `google`, on the way to google.colab
            module = DisplayModule(name)
        else:
            module = PlaceholderModule(name)
            module.__grader_finder__ = self
            _note(self.placeholders, name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def is_display(name: str) -> bool:
    return any(name == d or name.startswith(d + ".") for d in DISPLAY)


def _note(found: list[str], name: str) -> None:
    top = name.split(".")[0] if not name.startswith("google.") else "google.colab"
    if top not in found:
        found.append(top)


def guarded_imports(tree, filename: str) -> set[tuple[str, int]]:
    """(filename, line) of every import inside a `try` whose handlers take ImportError."""
    import ast
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_takes_import_error(h.type) for h in node.handlers):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        found.add((filename, sub.lineno))
    return found


def _takes_import_error(kind) -> bool:
    import ast
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(isinstance(n, (ast.Name, ast.Attribute)) and
               (n.id if isinstance(n, ast.Name) else n.attr) in
               ("ImportError", "ModuleNotFoundError", "Exception", "BaseException") for n in names)


def notebook_builtins() -> dict:
    """Names a notebook has without importing them, as no-ops."""
    return {"display": SPECIAL["display"], "get_ipython": SPECIAL["get_ipython"]}
