"""A notebook read by a fork while `grader check` starts (grader.submissions.ahead): the same units,
the same refusals, and no process left behind."""
import threading

import pytest

from grader.submissions import ahead
from grader.submissions.files import BrokenSubmission, units
from tests.conftest import ROOT, descendants

NOTEBOOKS = [ROOT / "tests/real_world/colab_black_formatted.ipynb", ROOT / "tests/real_world/jupyter_magics.ipynb",
             ROOT / "submissions_example/bob_correct_notebook.ipynb"]


def _forked(path):
    """read_ahead's reader for path, with the fork it started (this test process has one thread)."""
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: read_ahead rightly does not fork")
    before = descendants()
    reader = ahead.read_ahead(path)
    assert reader is not units
    assert len(descendants() - before) <= 1   # the reader, unless it is done already
    return reader


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_read_ahead_gives_the_units_read_here(path):
    reader = _forked(path)
    assert reader(path) == units(path)
    assert reader.pid not in descendants()


@pytest.mark.parametrize("text, words", [
    ("{ not json", "not a valid Jupyter notebook (not JSON"),
    ('{"cells": 5}', "not a valid Jupyter notebook"),
    (b"\xff\xfe{}", "the file is not UTF-8 text"),
])
def test_a_broken_notebook_read_ahead_is_refused_in_the_same_words(tmp_path, text, words):
    path = tmp_path / "answer.ipynb"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(BrokenSubmission) as here:
        units(path)
    reader = _forked(path)
    with pytest.raises(BrokenSubmission) as ahead_of_time:
        reader(path)
    assert words in str(here.value) and str(ahead_of_time.value) == str(here.value)


def test_no_fork_for_a_script_or_beside_another_thread(tmp_path):
    script = tmp_path / "answer.py"
    script.write_text("x = 1\n")
    assert ahead.read_ahead(script) is units
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert ahead.read_ahead(NOTEBOOKS[0]) is units   # a fork could inherit a lock that thread holds
    finally:
        stop.set()
        other.join()


def test_a_reader_asked_for_another_file_reads_that_one(tmp_path):
    reader = _forked(NOTEBOOKS[0])
    assert reader(NOTEBOOKS[2]) == units(NOTEBOOKS[2])
    assert reader(NOTEBOOKS[0]) == units(NOTEBOOKS[0])   # and its own, still, once
