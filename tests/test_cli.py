"""`grader check` as CONTRACT.md section 2 says: reports, --json, --seed, exit statuses."""
import json
import re
import sys

from tests.conftest import SOLUTIONS as _S

sys.path.insert(0, str(_S))
from mutants import MUTANTS, apply  # noqa: E402

from tests.conftest import AUTO_PARTS, CORRECT, MANUAL_PARTS, SOLUTIONS, run_cli

VECTORIZED = SOLUTIONS / "correct" / "vectorized.py"
WRONG_DB2 = apply(VECTORIZED.read_text(), next(m for m in MUTANTS if m.name == "db2-zero"))


def _doc(result):
    return json.loads(result.stdout)


def test_json_is_the_whole_stdout_and_has_every_part():
    result = run_cli("check", VECTORIZED, "--json")
    assert result.returncode == 0, result.stderr
    doc = _doc(result)
    assert [p["id"] for p in doc["parts"]] == AUTO_PARTS + MANUAL_PARTS
    assert doc["score"] == doc["max_score"] == 16 and doc["seed"] == 182
    for part in doc["parts"]:
        assert set(part) >= {"id", "score", "max_score", "status", "checks"}
        if part["id"] in MANUAL_PARTS:
            assert part["status"] == "manual" and part["score"] is None
        else:
            assert part["status"] == "passed" and part["score"] == part["max_score"]
            assert all(set(c) >= {"name", "passed", "message"} for c in part["checks"])


def test_report_for_a_person_and_exit_status_one_on_a_failure(tmp_path):
    source = WRONG_DB2
    path = tmp_path / "wrong_db2.py"
    path.write_text(source)
    result = run_cli("check", path)
    assert result.returncode == 1
    assert "FAIL   1a" in result.stdout
    assert "expected: 1.0" in result.stdout and "got:      0.0" in result.stdout
    assert "Max absolute difference: 1" in result.stdout
    assert re.search(r"^1y +PASS +1/1  y = ", result.stdout, re.M)      # the summary table
    assert re.search(r"^total +15/16 ", result.stdout, re.M)


def test_same_seed_same_document_other_seed_other_cases(tmp_path):
    path = tmp_path / "wrong.py"
    path.write_text(WRONG_DB2)
    first, again = (_doc(run_cli("check", path, "--json", "--seed", "5")) for _ in range(2))
    other = _doc(run_cli("check", path, "--json", "--seed", "6"))
    for doc in (first, again, other):
        doc.pop("elapsed_s")
    assert first == again
    assert first["seed"] == 5 and other["seed"] == 6
    assert first["parts"][1]["checks"][0]["message"] != other["parts"][1]["checks"][0]["message"]


def test_missing_file_is_a_usage_error_without_traceback():
    result = run_cli("check", "no/such/file.py")
    assert result.returncode == 2
    assert "no such file: no/such/file.py" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_option_and_bad_seed_are_usage_errors():
    for args in (["check", VECTORIZED, "--no-such-option"], ["check", VECTORIZED, "--seed", "abc"],
                 ["check", VECTORIZED, "--problem", "dis99"], ["check"], ["no-such-command"]):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr, args
        assert result.stdout == "" or "Usage" in result.stdout


def test_wrong_suffix_is_a_usage_error(tmp_path):
    path = tmp_path / "answers.txt"
    path.write_text("x = 1")
    result = run_cli("check", path)
    assert result.returncode == 2 and "expected a .py file or a .ipynb notebook" in result.stderr


def test_notebook_that_is_not_json_is_graded_with_every_part_an_error(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{ this is not json")
    result = run_cli("check", path, "--json")
    assert result.returncode == 1
    doc = _doc(result)
    auto = [p for p in doc["parts"] if p["id"] in AUTO_PARTS]
    assert len(auto) == 11 and all(p["status"] == "error" and p["score"] == 0 for p in auto)
    assert "not a valid Jupyter notebook" in auto[0]["checks"][0]["message"]
    assert [p["status"] for p in doc["parts"] if p["id"] in MANUAL_PARTS] == ["manual"] * 3


def test_syntax_error_is_graded_not_a_crash(tmp_path):
    path = tmp_path / "syntax.py"
    path.write_text("def relu_net(x, W1, b1, W2, b2)\n    return 0\n")
    result = run_cli("check", path, "--json")
    assert result.returncode == 1
    doc = _doc(result)
    assert all(p["status"] == "error" for p in doc["parts"] if p["id"] in AUTO_PARTS)
    assert any("SyntaxError" in m and "line 1" in m for m in doc["load_messages"])
    first = doc["parts"][0]["checks"][0]["message"]
    assert "no function named `relu_net`" in first


def test_student_prints_never_reach_our_stdout(tmp_path):
    path = tmp_path / "chatty.py"
    path.write_text('print("{\\"score\\": 999}")\n' + VECTORIZED.read_text()
                    .replace("def relu_net(x, W1, b1, W2, b2):", 'def relu_net(x, W1, b1, W2, b2):\n    print("PASSED")', 1))
    result = run_cli("check", path, "--json")
    doc = _doc(result)   # stdout is exactly one JSON document
    assert doc["score"] == 16
    assert doc["output"].startswith('{"score": 999}')


def test_correct_notebook_passes_from_the_command_line():
    notebook = next(p for p in CORRECT if p.suffix == ".ipynb")
    result = run_cli("check", notebook)
    assert result.returncode == 0, result.stdout
    assert "note: google.colab: imported as do-nothing stand-ins" in result.stdout


def test_a_homework_folder_named_as_the_problem_set_is_not_taken_for_it(tmp_path):
    """Students name their folder after the assignment: `grader check dis02/hw.py` run beside
    it grades against the problem set dis02, not a folder with no spec.toml; a path still names
    a folder."""
    homework = tmp_path / "dis02"
    homework.mkdir()
    (homework / "hw.py").write_text((CORRECT[0]).read_text())
    done = run_cli("check", "dis02/hw.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    spelled = run_cli("check", "dis02/hw.py", "--problem", "./dis02", cwd=tmp_path)
    assert spelled.returncode == 2 and "dis02 has no spec.toml" in spelled.stderr
