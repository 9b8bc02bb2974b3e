"""The terminal report of `grader check`: colour on a terminal only, the summary table, --verbose
with every case of every check (per-case results collected only when asked for), and failure
messages with the case's context line."""
import json
import os
import pty
import re
import select
import subprocess
import sys

import numpy as np
import pytest

from grader.core.answers import Cases
from grader.core.engine import grade
from tests.conftest import GRADER, ROOT, SOLUTIONS, run_cli

sys.path.insert(0, str(SOLUTIONS))
from mutants import MUTANTS, apply  # noqa: E402

BASE = (SOLUTIONS / "correct" / "vectorized.py").read_text()
NO_MASK = apply(BASE, next(m for m in MUTANTS if m.name == "db1-no-mask"))
ANSI = "\x1b["


@pytest.fixture(scope="module")
def no_mask(tmp_path_factory):
    path = tmp_path_factory.mktemp("render") / "no_mask.py"
    path.write_text(NO_MASK)
    return path


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **extra}


def _on_a_terminal(*args, **env) -> str:
    """stdout of grader on a pseudo-terminal, read while it runs (a full pty would block it)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*GRADER, *map(str, args)], stdout=slave, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=_env(**env))
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:        # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_only(no_mask):
    on_tty = _on_a_terminal("check", no_mask)
    assert ANSI in on_tty and "FAIL" in on_tty
    piped = subprocess.run([*GRADER, "check", str(no_mask)], capture_output=True, text=True,
                           cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, timeout=120)
    assert piped.returncode == 1
    assert "FAIL" in piped.stdout and ANSI not in piped.stdout and "\x1b" not in piped.stdout
    assert ANSI not in _on_a_terminal("check", no_mask, NO_COLOR="1")   # the NO_COLOR convention
    # the words are the same with and without colour
    assert re.sub(r"\x1b\[[0-9;]*m", "", on_tty).replace("\r\n", "\n") == piped.stdout


def _table(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("part "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("total "))
    return lines[start:end + 1]


def test_summary_table_is_aligned_and_has_the_total(no_mask):
    result = run_cli("check", no_mask)
    rows = _table(result.stdout)
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header.split() == ["part", "status", "points", "title"]
    ids = [row.split()[0] for row in body]
    assert ids == ["1y", "1a", "1b", "1c", "1d", "2a", "2b", "2c", "2d", "3a", "3b",
                   "1-sketch", "2d-why", "3-proof"]
    status_at, points_end = header.index("status"), header.index("points") + len("points")
    for row in body:
        part, status, points = row.split()[:3]
        assert row.index(status, len(part)) == status_at, row
        assert row[:points_end].rstrip().endswith(points) and row[points_end:points_end + 2] == "  ", row
    statuses = {row.split()[0]: row.split()[1] for row in body}
    assert statuses["1c"] == "FAIL" and statuses["1d"] == "PASS" and statuses["3-proof"] == "MANUAL"
    assert re.match(r"total +15/16  \(auto-graded parts; 8 more points are graded by a person\)", total)
    assert total.index("15/16") + len("15/16") == points_end
    # the failed part's details come first, the hint first in its message
    details = result.stdout.split(rows[0])[0]
    assert "FAIL   1c  dy/db1  (0/1)" in details and "PASS" not in details
    assert "      hint: dy/db1 is missing the ReLU mask" in details


def test_verbose_lists_every_case_of_every_check(no_mask):
    result = run_cli("check", no_mask, "--verbose")
    out = result.stdout
    strips = re.findall(r"^ {10}(\d+) cases  ([.F]+)  (\d+) passed(?:, (\d+) failed)?$", out, re.M)
    assert len(strips) > 50                       # every check of every auto part
    for count, strip, passed, failed in strips:
        assert len(strip) == int(count) == int(passed) + int(failed or 0)
        assert strip.count("F") == int(failed or 0)
    block = out.split("x   dy_db1(x, W1, b1, W2, b2) matches the reference on 24 random cases")[1]
    count, strip, passed, failed = re.search(r"(\d+) cases  ([.F]+)  (\d+) passed, (\d+) failed", block).groups()
    assert f"{failed} of 24 cases failed" in block           # the message agrees with the strip
    listed = re.findall(r"^ {12}F (random #\d+): expected [^,]+, got .+$|^ {12}F (random #\d+): \d+ of \d+ entries off",
                        block.split("hint:")[0], re.M)
    assert 0 < len(listed) <= 10
    assert "ok  relu_net(x, W1, b1, W2, b2) matches the reference on 24 random cases" in out
    assert "24 cases  ........................  24 passed" in out


def test_per_case_results_only_when_asked(no_mask, dis02):
    plain = json.loads(run_cli("check", no_mask, "--json").stdout)
    assert all("cases" not in c for p in plain["parts"] for c in p.get("checks", []))
    verbose = json.loads(run_cli("check", no_mask, "--json", "--verbose").stdout)
    checks = [c for p in verbose["parts"] for c in p.get("checks", [])]
    assert checks and all(isinstance(c["cases"], list) and c["cases"] for c in checks)
    for check in checks:
        said = re.search(r" on (\d+) ", check["name"])
        if "matches the reference" in check["name"] and said:
            assert len(check["cases"]) == int(said.group(1))
        assert check["passed"] == all(case["passed"] for case in check["cases"])
    # a finite-difference check goes on past its first failure when every case is wanted
    fd = next(c for p in verbose["parts"] if p["id"] == "1c" for c in p["checks"]
              if "finite differences of the reference" in c["name"])
    assert len(fd["cases"]) == 4 and not fd["passed"]
    assert plain["score"] == verbose["score"]
    assert len(json.dumps(plain)) < len(json.dumps(verbose)) / 2
    doc = grade(no_mask, dis02, 182)            # the engine's default: nothing per case
    assert all(c.cases is None for p in doc.parts for c in p.checks)


def test_failure_message_shows_the_case_and_its_hidden_units(no_mask):
    doc = json.loads(run_cli("check", no_mask, "--json").stdout)
    message = next(c for p in doc["parts"] if p["id"] == "1c" for c in p["checks"]
                   if "random" in c["name"])["message"]
    lines = message.splitlines()
    assert lines[0].startswith("hint: ") and re.match(r"\d+ of 24 cases failed", lines[1])
    inputs = dict(re.findall(r"^  (x|b2) = (\S+)$", message, re.M))
    arrays = {name: np.array(json.loads(text.replace("\n", "").replace(" ", "")))
              for name, text in re.findall(r"^  (W1|b1) = (\[\[.*?\]\])$", message, re.M | re.S)}
    z1 = (arrays["W1"] * float(inputs["x"]) + arrays["b1"]).ravel()
    context = re.search(r"^  hidden units on at this x \(z1 > 0\): (.*) \(of k = (\d+)\)", message, re.M)
    on = [str(i) for i in np.flatnonzero(z1 > 0)]
    assert context.group(1) == (", ".join(on) or "none") and int(context.group(2)) == len(z1)
    assert "expected: " in message and "got:      " in message
    assert "Max absolute difference: " in message and "Max relative difference: " in message


def test_context_lines_agree_with_the_generator(dis02):
    """At a kink the generator's label names the unit; the describe line must name the same one,
    and say which units are on, computed here from the inputs."""
    plan_cases = Cases(dis02, 182)
    for name in ("relu", "mlp"):
        for case in plan_cases(name):
            inputs = case.inputs
            z1 = (inputs["W1"] * inputs["x"] + inputs["b1"]).ravel()
            on = ", ".join(str(i) for i in range(len(z1)) if z1[i] > 0) or "none"
            assert case.context.startswith(f"hidden units on at this x (z1 > 0): {on} (of k = {len(z1)})")
            if case.family == "at_kink":
                unit = re.search(r"unit (\d+) exactly at its kink", case.label).group(1)
                assert f"at its kink (z1 = 0): {unit}" in case.context
    assert all(not case.context for case in plan_cases("ridge"))   # no describe for that set
