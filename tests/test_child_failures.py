"""Student code that exits, hangs, crashes or misbehaves costs only the checks it spoiled."""
import time

import pytest

from tests.conftest import AUTO_PARTS, BASE, failing, sabotage

@pytest.mark.parametrize("body, says", [
    ("os._exit(0)", "ended the process running it (exit status 0"),
    ("sys.exit(0)", "raised SystemExit"),
    ("raise KeyboardInterrupt", "raised KeyboardInterrupt"),
    ("os.kill(os.getpid(), signal.SIGSEGV)", "SIGSEGV"),
    ("raise BaseException('boom')", "raised BaseException"),
])
@pytest.mark.parametrize("via_server", [False, True], ids=["new process", "fork server"])
def test_a_dying_function_costs_only_its_part(body, says, via_server, grade_source, forkserver):
    doc = grade_source(sabotage("dy_dW1", body), server=forkserver if via_server else None)
    assert failing(doc) == {"1d"}
    part = doc.part("1d")
    assert part.score == 0 and part.status == "error"
    assert says in part.checks[0].message
    assert doc.score == 16 - part.max_score


def test_hang_costs_only_its_part_within_its_budget(grade_source, dis02):
    started = time.monotonic()
    doc = grade_source(sabotage("ridge_map", "while True: pass"))
    took = time.monotonic() - started
    assert failing(doc) == {"3a"}
    assert "did not finish within the time budget" in doc.part("3a").checks[0].message
    assert took < 120   # a safety net; the message above shows the part's own budget stopped it


def test_hang_that_ignores_sigterm_is_still_stopped(grade_source):
    body = "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True: pass"
    doc = grade_source(sabotage("dy_db1", body))
    assert failing(doc) == {"1c"}


def test_exit_at_import_is_graded_with_every_part_an_error(grade_source):
    doc = grade_source("import sys\nsys.exit(3)\n" + BASE)
    assert doc.score == 0
    assert [p.status for p in doc.parts if p.id in AUTO_PARTS] == ["error"] * 11
    assert any("SystemExit" in m for m in doc.load_messages)


def test_os_exit_at_import_is_graded_with_every_part_an_error(grade_source):
    doc = grade_source("import os\nos._exit(0)\n" + BASE)
    assert [p.status for p in doc.parts if p.id in AUTO_PARTS] == ["error"] * 11
    assert "loading your submission" in doc.parts[0].checks[0].message


def test_hang_at_import_uses_the_load_budget(grade_source, dis02):
    started = time.monotonic()
    doc = grade_source("while True:\n    pass\n" + BASE)
    assert time.monotonic() - started < dis02.spec.budgets.load + 5
    assert doc.score == 0
    assert "did not finish within the time budget" in doc.parts[0].checks[0].message


def test_memory_bomb_is_stopped_by_the_memory_cap(grade_source):
    doc = grade_source(sabotage("log_posterior", "big = bytearray(4 << 30)"))
    assert failing(doc) == {"3b"}
    assert "MemoryError" in doc.part("3b").checks[0].message


def test_mutating_inputs_does_not_change_other_calls(grade_source):
    # dy_dW2 scribbles over W1 and W2 before answering; every later call gets fresh copies
    doc = grade_source(sabotage("dy_dW2", "W1 *= 0; b1 *= 0; result = None"))
    assert failing(doc) == {"1b"}


def test_reading_stdin_fails_fast(grade_source):
    doc = grade_source(sabotage("dy_db2", "input()"))
    assert failing(doc) == {"1a"}
    assert "EOFError" in doc.part("1a").checks[0].message


def test_output_flood_is_capped(grade_source):
    doc = grade_source(sabotage("relu_net", "print('x' * 100_000)"))
    assert failing(doc) == set()
    assert len(doc.output) < 10_000 and "bytes of output dropped" in doc.output


def test_wrong_return_types_are_explained(grade_source):
    doc = grade_source(sabotage("dy_db1", "return 'hello'"))
    assert failing(doc) == {"1c"}
    assert "returned a str, not a number or an array of numbers" in doc.part("1c").checks[0].message


def test_float_of_a_matrix_under_numpy2_gets_a_plain_explanation(grade_source):
    source = BASE.replace("return float((W2 @ a).item() + b2)", "return float(W2 @ a + b2)")
    assert source != BASE
    doc = grade_source(source)
    assert "1y" in failing(doc)
    assert "NumPy 2 no longer converts an array of shape (1, 1)" in doc.part("1y").checks[0].message


def test_a_backward_that_empties_its_cache_is_graded_as_it_behaves(grade_source):
    # The child shares one call of backward(forward(...)) among the five gradients of a case;
    # the cache that 2d inspects and the J of 2a come from a forward call backward never saw.
    consuming = sabotage("backward", "cache = cache; taken = dict(cache); cache.clear(); cache = taken")
    assert failing(grade_source(consuming)) == set()
    # a backward whose answers drift with each call it gets is caught, not memoized away
    drifting = sabotage("backward", "global _calls; _calls = globals().get('_calls', 0) + 1\n"
                                    "    cache = dict(cache, y_hat=cache['y_hat'] + (_calls > 50))")
    assert failing(grade_source(drifting)) & {"2b", "2c"}
