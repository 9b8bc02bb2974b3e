"""Comparison messages in the style of numpy.testing, and the contract's shape rule."""
import numpy as np

from grader.compare import compare


def test_equal_passes_and_says_nothing():
    result = compare(np.array([[1.0], [2.0]]), np.array([[1.0], [2.0 + 1e-12]]), 1e-6, 1e-9)
    assert result.passed and result.message == "" and result.note == ""


def test_message_says_what_by_how_much_and_where():
    expected = np.array([[1.0], [2.0], [3.0]])
    got = np.array([[1.0], [2.5], [3.0]])
    result = compare(expected, got, 1e-6, 1e-9)
    assert not result.passed
    assert "Mismatched elements: 1 / 3 (33.3%)" in result.message
    assert "Max absolute difference: 0.5 at (1, 0)" in result.message
    assert "Max relative difference: 0.25 at (1, 0)" in result.message
    assert "expected: [[1.], [2.], [3.]]".replace(" ", "") in result.message.replace(" ", "").replace("\n", "")


def test_squeezable_shapes_pass_with_a_note():
    result = compare(np.zeros((3, 1)), np.zeros(3), 1e-6, 1e-9)
    assert result.passed and "returned shape (3,) where shape (3, 1) was expected" in result.note
    result = compare(np.array(2.0), np.array([[2.0]]), 1e-6, 1e-9)
    assert result.passed and "where a scalar was expected" in result.note


def test_other_shapes_fail_naming_both():
    result = compare(np.zeros((3, 1)), np.zeros((3, 3)), 1e-6, 1e-9)
    assert not result.passed
    assert result.message == "wrong shape: expected shape (3, 1), got shape (3, 3)"
    result = compare(np.array(1.0), np.zeros(2), 1e-6, 1e-9)
    assert result.message == "wrong shape: expected a scalar, got shape (2,)"


@np.errstate(all="ignore")   # as the engine judges
def test_nan_and_inf():
    assert not compare(np.array(1.0), np.array(np.nan), 1e-6, 1e-9).passed
    assert not compare(np.array(1.0), np.array(np.inf), 1e-6, 1e-9).passed
    assert compare(np.array(np.inf), np.array(np.inf), 1e-6, 1e-9).passed
