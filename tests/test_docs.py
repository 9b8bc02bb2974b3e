"""docs/authoring.md is generated from docs/authoring.in.md and the models grader reads, so every
spec.toml, kit.toml and Case key is there as the code has it: a committed file that differs from
what the models generate fails here (run `python docs/make_authoring.py`)."""
import dataclasses
import subprocess
import sys

from grader.core.spec import ProblemSpec
from tests.conftest import ROOT
from tests.test_new import _keys


def test_the_guide_is_what_the_models_generate():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "make_authoring.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_guide_names_every_key_and_the_readme_links_it():
    guide = (ROOT / "docs" / "authoring.md").read_text()
    assert sorted(k for k in _keys(ProblemSpec) if f"`{k}`" not in guide) == []
    for field in ("radius", "label", "inputs", "pick"):
        assert f"`{field}`" in guide
    assert "docs/authoring.md" in (ROOT / "README.md").read_text()


def test_a_changed_model_makes_the_guide_stale(tmp_path, monkeypatch):
    """The check can fail: a description changed in a model, and the committed guide no longer matches."""
    sys.path.insert(0, str(ROOT / "docs"))
    import make_authoring
    from grader.core import spec
    rtol = next(f for f in dataclasses.fields(spec.Tolerance) if f.name == "rtol")
    monkeypatch.setattr(rtol, "metadata", {**rtol.metadata, "description": "a changed description"})
    assert make_authoring.generate() != (ROOT / "docs" / "authoring.md").read_text()
    assert "a changed description" in make_authoring.generate()
