"""Comparison messages in the style of numpy.testing, and the contract's shape rule."""
import numpy as np

from grader.judge.compare import compare


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
    first, *rest = result.message.splitlines()
    assert first.startswith("wrong shape: expected shape (3, 1), got shape (3, 3)")
    assert "broadcast into a square" in first          # the usual cause of (k, k) for (k, 1)
    assert rest[0].startswith("expected: [[0.]") and any(r.startswith("got:      [[0., 0., 0.]") for r in rest)
    result = compare(np.array(1.0), np.zeros(2), 1e-6, 1e-9)
    assert result.message.splitlines()[0] == "wrong shape: expected a scalar, got shape (2,)"
    result = compare(np.zeros((2, 3)), np.zeros((3, 2)), 1e-6, 1e-9)
    assert "the transpose of the expected shape?" in result.message


def test_rows_line_up_under_their_label():
    result = compare(np.array([[1.0], [2.0]]), np.array([[1.0], [3.0]]), 1e-6, 1e-9,
                     expected_label="finite differences")
    lines = result.message.splitlines()
    assert lines[0] == "finite differences: [[1.],"
    assert lines[1] == "                     [2.]]"
    assert lines[2] == "got:                [[1.],"


def test_which_entries_are_off_relative_inf_at_zero_and_nan_said():
    expected = np.array([0.0, 1.0, 2.0, 3.0])
    result = compare(expected, np.array([0.5, 1.0, 2.0, np.nan]), 1e-6, 1e-9)
    message = result.message
    assert "Mismatch at index:\n  (0,): got 0.5, expected 0.0\n  (3,): got nan, expected 3.0" in message
    assert "Max relative difference: inf at (0,)" in message     # as numpy.testing: not 1.8e308
    assert "got holds 1 NaN where a finite number was expected (first at (3,))" in message
    assert result.brief.startswith("2 of 4 entries off")
    # a scalar says expected and got in one line; -0.0 shows as 0.0
    result = compare(np.array(-0.0), np.array(1.5), 1e-6, 1e-9)
    assert result.brief == "expected 0, got 1.5" and "expected: 0.0" in result.message


def test_every_entry_off_is_not_listed_again():
    result = compare(np.array([1.0, 2.0]), np.array([5.0, 6.0]), 1e-6, 1e-9)
    assert "Mismatch at index" not in result.message


@np.errstate(all="ignore")   # as the engine judges
def test_nan_and_inf():
    assert not compare(np.array(1.0), np.array(np.nan), 1e-6, 1e-9).passed
    assert not compare(np.array(1.0), np.array(np.inf), 1e-6, 1e-9).passed
    assert compare(np.array(np.inf), np.array(np.inf), 1e-6, 1e-9).passed


def test_all_at_once_passes_only_well_formed_numbers_within_tolerance():
    from grader.judge.checks import AllClose
    from grader.core.spec import Tolerance
    expected = [[np.array([[1.0], [2.0]])], [np.array(3.0)]]
    fast = AllClose(expected, Tolerance(rtol=1e-6, atol=1e-9))
    def arr(shape, data, dtype=np.float64):
        return {"t": "arr", "shape": shape, "a": np.array(data, dtype=dtype)}
    good = [arr([2, 1], [1.0, 2.0]), {"t": "num", "v": 3.0}]
    assert fast(good) == []
    for broken in (
        [arr([2, 1], [1.0, 2.1]), good[1]],                                   # a value off
        [arr([2, 1], [True, False], bool), good[1]],                          # bools are not numbers
        [arr([2, 1], ["1.0", "2.0"], str), good[1]],                          # nor are strings
        [{"t": "arr", "shape": [2, 1], "a": [1.0, 2.0]}, good[1]],            # nor a list the judge did not read
        [arr([2, 2], [1.0, 2.0, 1.0, 2.0]), good[1]],                         # shape: the slow path decides
        [arr([2], [1.0, 2.0]), arr([2], [3.0, 3.0])],                         # too many numbers for a scalar
        [arr([2, 1], [1.0]), good[1]],                                        # malformed
        [good[0], {"t": "num", "v": 3}],                                      # not a number the judge read
        [good[0], {"t": "num", "v": float("nan")}],
        [good[0], {"t": "raised", "type": "ValueError", "msg": ""}],
        [good[0]],                                                            # a result missing
    ):
        assert fast(broken) is None, broken


def _slow_verdict(expected, raws, tol):
    """values_match's verdict on raws without its all-at-once path (detail=True takes each case)."""
    import pytest
    from grader.core.cases import Case
    from grader.judge.checks import values_match
    cases = [Case({"x": float(i)}, family="f", index=i, key=f"f/{i}") for i in range(len(expected))]
    check = values_match(tree=["call", "f", [["input", "x"]]], text="f(x)", cases=cases,
                         expected=expected, tol=tol, about="f")
    run = check.run(True)
    next(run)
    with np.errstate(all="ignore"), pytest.raises(StopIteration) as stop:
        run.send(raws)
    return stop.value.value


def test_all_at_once_takes_accepted_shapes_and_any_right_answer_as_case_by_case_does():
    """Shapes differing only by size-1 dimensions, and every equally right answer of a case (a
    kink's two one-sided derivatives), are judged at once: the verdict and the note are those of
    the case-by-case path; anything it cannot settle is left to that path."""
    from grader.judge.checks import AllClose
    from grader.core.spec import Tolerance
    tol = Tolerance(rtol=1e-6, atol=1e-9)
    def arr(shape, data):
        return {"t": "arr", "shape": shape, "a": np.array(data, dtype=np.float64)}
    kink = [np.array([[1.0], [0.0]]), np.array([[1.0], [2.0]])]     # either side of a kink
    expected = [[np.array(3.0)], kink, [np.array([[5.0, 6.0]])], kink]
    fast = AllClose(expected, tol)
    cases = [
        [{"t": "num", "v": 3.0}, arr([2, 1], [1.0, 0.0]), arr([1, 2], [5.0, 6.0]), arr([2, 1], [1.0, 2.0])],
        [arr([1, 1], [3.0]), arr([2], [1.0, 2.0]), arr([2], [5.0, 6.0]), arr([2, 1], [1.0, 0.0])],
        [arr([1], [3.0]), arr([2, 1], [1.0, 0.0]), arr([2, 1, 1], [5.0, 6.0]), arr([1, 2], [1.0, 2.0])],
    ]
    for raws in cases:
        slow = _slow_verdict(expected, raws, tol)
        assert slow.passed
        assert fast(raws) == slow.notes, raws
    assert fast(cases[1]) == ["returned shape (1, 1) where a scalar was expected; accepted (only size-1 "
                              "dimensions differ)"]
    assert fast(cases[2]) == ["returned shape (1,) where a scalar was expected; accepted (only size-1 "
                              "dimensions differ)"]
    # one case's numbers from two different right answers: no answer of its own, so it fails
    mixed = [{"t": "num", "v": 3.0}, arr([2, 1], [1.0, 0.0]), arr([1, 2], [5.0, 6.0]), arr([2, 1], [1.0, 1.0])]
    assert not _slow_verdict(expected, mixed, tol).passed and fast(mixed) is None
    wrong_shape = [{"t": "num", "v": 3.0}, arr([1, 2], [1.0, 0.0]), arr([2, 1], [5.0, 6.0]), arr([4], [1.0, 2.0, 3.0, 4.0])]
    assert fast(wrong_shape) is None
    assert fast([{"t": "num", "v": 3.0}, arr([2, 1], [1.0, 0.0]), arr([1, 2], [5.0, 6.0]),
                 arr([2, 1], [1.0, float("nan")])]) is None


def test_values_up_to_a_constant_name_the_input_their_group_varies():
    """The judge knows no worksheet: a group of cases sharing all inputs but one names its points
    by that input (w in Discussion 2's 3b, t here), and counts failing groups, kind wrong_value."""
    import pytest
    from grader.core.cases import Case
    from grader.core.spec import Tolerance
    from grader.judge.checks import differences_match
    cases = [Case({"a": 2.0, "t": t}, family="line", index=0, group=0, key=f"s/{i}")
             for i, t in enumerate([0.0, 1.0, 2.0, 3.0])]
    cube = [[np.array(2.0 * c.inputs["t"] ** 3 + 5.0)] for c in cases]    # any constant: 5
    check = differences_match(tree=["call", "f", [["input", "a"], ["input", "t"]]], text="f(a, t)",
                              cases=cases, expected=cube, tol=Tolerance(), about="line")

    def verdict(values):
        run = check.run()
        next(run)
        with np.errstate(all="ignore"), pytest.raises(StopIteration) as stop:
            run.send([{"t": "num", "v": v} for v in values])
        return stop.value.value

    assert verdict([0.0, 2.0, 16.0, 54.0]).passed                   # right up to a constant
    wrong = verdict([0.0, 2.0, 8.0, 18.0])                           # 2 a t^2: not so
    assert not wrong.passed and wrong.kind == "wrong_value"
    assert wrong.message.startswith("1 of 1 groups failed. First failure:\nline case #0")
    assert "(and 2 more t in this group)" in wrong.message
    assert "differences f(t_j) - f(t_0) for j = 1..3" in wrong.message
    assert verdict([0.0, 2.0, float("nan"), 54.0]).kind == "not_a_number"
