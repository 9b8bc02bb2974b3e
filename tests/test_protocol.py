"""The wire format (grader/sandbox/protocol.py), both sides: what the child writes is what the
judge reads, every size in a reply is checked before a view is made, and the judge asks a child
for a part's checks in one request, naming groups of calls the child (or its fork server) made
ready once per plan. End-to-end attacks on the judge are in test_hostile_judge.py."""
import struct

import numpy as np
import pytest

from grader.core.engine import grade, program_for
from grader.core.plan import plan_for
from grader.sandbox import protocol
from grader.sandbox.forkserver import ForkServer
from grader.sandbox.protocol import Malformed
from grader.sandbox.session import ChildSession
from tests.conftest import BASE


def written(values: list) -> tuple[dict, memoryview]:
    """values as the child writes them in one reply, and the reply's parts as the judge reads them."""
    reply = protocol.Reply("n0", 3)
    for value in values:
        protocol.encode(value, reply)
    data = reply.frame()
    text, blob = protocol.sizes(data[:protocol.HEAD.size])
    assert len(data) == protocol.HEAD.size + text + blob
    return protocol.parse_json(data[protocol.HEAD.size:protocol.HEAD.size + text]), memoryview(data)[protocol.HEAD.size + text:]


def test_what_the_child_writes_the_judge_reads_in_order():
    f32 = np.float32
    values = [1.5, np.float64(-2.0), f32(0.25), 3, np.arange(6.0).reshape(2, 3), [1.0, 2.0],
              np.ones((2, 1), dtype=f32), None, {"a": 1.0}, (np.ones(2), "x"), True, "text",
              np.array([1 + 2j]), np.zeros((0, 3)), np.array(7.0), np.array([1, 2], dtype=object)]
    message, blob = written(values)
    assert message["nonce"] == "n0" and message["g"] == 3
    got = protocol.parse_reply(message, blob, len(values))
    assert got[0] == {"t": "num", "v": 1.5, "type": "float"}
    assert got[1] == {"t": "num", "v": -2.0, "type": "float64"}
    assert got[2] == {"t": "num", "v": 0.25, "type": "float32"}
    assert got[3] == {"t": "num", "v": 3.0, "type": "int"}
    assert got[4]["shape"] == [2, 3] and got[4]["a"].tolist() == list(range(6)) and got[4]["dt"] == "float64"
    assert got[5]["shape"] == [2] and got[5]["a"].tolist() == [1.0, 2.0]
    assert got[6]["shape"] == [2, 1] and got[6]["dt"] == "float32"
    assert got[7] == {"t": "none"}
    assert got[8] == {"t": "dict", "type": "dict"} and got[9] == {"t": "seq", "type": "tuple"}
    assert got[10] == {"t": "other", "type": "bool"} and got[11] == {"t": "other", "type": "str"}
    assert got[12] == {"t": "other", "type": "ndarray of dtype complex128"}
    assert got[13]["shape"] == [0, 3] and got[13]["a"].size == 0
    assert got[14]["shape"] == [] and got[14]["a"].tolist() == [7.0]
    assert got[15]["shape"] == [2] and got[15]["dt"] == ""          # numbers, but no dtype of theirs


def test_the_judge_reads_views_it_cannot_change_of_numbers_the_child_copied():
    source = np.arange(4.0)
    reply = protocol.Reply("n", 0)
    protocol.encode(source, reply)
    source[:] = -1          # what the student does to its array after returning it changes nothing sent
    data = reply.frame()
    text, _ = protocol.sizes(data[:8])
    [raw] = protocol.parse_reply(protocol.parse_json(data[8:8 + text]), memoryview(bytearray(data))[8 + text:], 1)
    assert raw["a"].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError):
        raw["a"][0] = 5.0


def test_a_value_inside_a_container_is_still_looked_at():
    """A container is sent as its type, but a huge array in it is still too big, as before."""
    with pytest.raises(protocol.TooBig):
        protocol.encode({"w": np.zeros(protocol.MAX_ELEMENTS + 1)}, protocol.Reply("n", 0))
    with pytest.raises(protocol.TooBig):
        protocol.encode(np.zeros(protocol.MAX_ELEMENTS + 1), protocol.Reply("n", 0))


def _reply(descriptors, numbers, count=1, others=b"[]", i=None) -> tuple[dict, bytes]:
    message = protocol.parse_json(b'{"nonce": "n", "g": 0, "n": %d, "i": %d, "x": %s}'
                                  % (count, len(descriptors) if i is None else i, others))
    return message, struct.pack(f"<{len(descriptors)}q", *descriptors) + struct.pack(f"<{len(numbers)}d", *numbers)


@pytest.mark.parametrize("descriptors, numbers, why", [
    ([1, 3, 1, 5], [1.0, 2.0], "array data that does not fill its shape (5,)"),
    ([1, 3, 2, 0, 10 ** 18], [], "an array shape that is not a short list of sizes"),
    ([1, 3, 2, 2000, 2000], [0.0] * 10, "an array of more than 1000000 numbers"),
    ([1, 3, 1, -1], [1.0], "an array shape that is not a short list of sizes"),
    ([1, 3, 33] + [1] * 33, [1.0], "a descriptor of no known kind, dtype or number of dimensions"),
    ([0, 3, 1, 1], [1.0], "a descriptor of no known kind, dtype or number of dimensions"),
    ([2, 3, 0], [1.0], "a descriptor of no known kind, dtype or number of dimensions"),
    ([0, len(protocol.NAMES), 0], [1.0], "a descriptor of no known kind, dtype or number of dimensions"),
    ([0, 3, 0], [1.0, 2.0], "a binary part longer than its results"),
    ([0, 3, 0, 9], [1.0], "a binary part longer than its results"),
    ([1, 3, 4, 1], [1.0], "a descriptor of no known kind, dtype or number of dimensions"),
])
def test_every_size_is_checked_before_a_view_is_made(descriptors, numbers, why):
    with pytest.raises(Malformed, match=__import__("re").escape(why)):
        protocol.parse_reply(*_reply(descriptors, numbers), 1)


@pytest.mark.parametrize("descriptors, numbers, why", [
    ([1, 3, 2, 1, 1, 1, 3, 0, 1, 1], [1.0, 2.0], "a binary part longer than its results"),
    ([1, 3, 1, 2, 1, 3, 1, 3], [1.0] * 4, "array data that does not fill its shape (3,)"),
    ([1, 3, 1, 2, 1, 3, 1, 3], [1.0] * 6, "a binary part longer than its results"),
    ([0, 3, 0, 0, 3, 1], [1.0, 2.0], "a descriptor of no known kind, dtype or number of dimensions"),
    ([1, 3, 1, 2, 1, 3, 1, -2], [1.0] * 2, "an array shape that is not a short list of sizes"),
    ([0, 3, 0, 0, len(protocol.NAMES), 0], [1.0, 2.0], "a descriptor of no known kind, dtype or number of dimensions"),
])
def test_results_read_all_at_once_are_checked_as_one_by_one(descriptors, numbers, why):
    """Results all numbers, or all arrays of one number of dimensions, are read at once
    (protocol.Results); a table that only looks so is refused with the one-by-one reading's words."""
    with pytest.raises(Malformed, match=__import__("re").escape(why)):
        protocol.parse_reply(*_reply(descriptors, numbers, 2), 2)


def test_results_read_all_at_once_are_no_bigger_than_one_by_one():
    big = 1001 * 1000   # each size allowed, their product not
    with pytest.raises(Malformed, match="an array of more than 1000000 numbers"):
        protocol.parse_reply(*_reply([1, 3, 2, 1001, 1000, 1, 3, 2, 0, 1], [0.0] * big, 2), 2)


def test_results_read_all_at_once_are_the_one_by_one_reading():
    arrays = protocol.parse_reply(*_reply([1, 3, 1, 2, 1, 2, 2, 1, 3], [1.0, 2.0, 3.0, 4.0, 5.0], 2), 2)
    assert [(r["t"], r["shape"], r["a"].tolist(), r["dt"]) for r in arrays] == [
        ("arr", [2], [1.0, 2.0], "float64"), ("arr", [1, 3], [3.0, 4.0, 5.0], "float32")]
    assert arrays.numbers is None and arrays.shapes is None   # two numbers of dimensions: one by one
    same = protocol.parse_reply(*_reply([1, 3, 1, 2, 1, 2, 1, 3], [1.0, 2.0, 3.0, 4.0, 5.0], 2), 2)
    assert same.numbers.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0] and same.shapes == [[2], [3]]
    assert [(r["shape"], r["a"].tolist()) for r in same] == [([2], [1.0, 2.0]), ([3], [3.0, 4.0, 5.0])]
    numbers = protocol.parse_reply(*_reply([0, 3, 0, 0, 6, 0], [1.5, 2.5], 2), 2)
    assert numbers == [{"t": "num", "v": 1.5, "type": "float64"}, {"t": "num", "v": 2.5, "type": "float"}]
    assert numbers.shapes == [[], []]
    mixed = protocol.parse_reply(*_reply([0, 3, 0, 1, 3, 0], [1.5, 2.5], 2), 2)
    assert [r["t"] for r in mixed] == ["num", "arr"] and mixed.numbers is None


def test_counts_and_places_are_checked():
    with pytest.raises(Malformed, match="not the 2 results asked for"):
        protocol.parse_reply(*_reply([0, 3, 0], [1.0]), 2)
    with pytest.raises(Malformed, match="does not fit the binary part"):
        protocol.parse_reply(*_reply([0, 3, 0], [1.0], i=9), 1)
    with pytest.raises(Malformed, match="not whole float64 numbers"):
        message, blob = _reply([0, 3, 0], [1.0])
        protocol.parse_reply(message, blob + b"123", 1)
    with pytest.raises(Malformed, match="without its own place"):
        protocol.parse_reply(*_reply([], [], 1, b'[[1, {"t": "none"}]]'), 1)
    with pytest.raises(Malformed, match="a result without its descriptor"):
        protocol.parse_reply(*_reply([0, 3, 0], [1.0], 2), 2)
    leaves = b'[[0, {"t": "leaves", "items": [{"path": "c", "shape": [3]}]}]]'
    with pytest.raises(Malformed, match="leaves whose numbers are not in the frame"):
        protocol.parse_reply(*_reply([], [1.0, 2.0], 1, leaves), 1)
    [raw] = protocol.parse_reply(*_reply([], [1.0, 2.0, 3.0], 1, leaves), 1)
    assert raw["items"][0]["a"].tolist() == [1.0, 2.0, 3.0]


def test_a_part_is_one_request_and_the_server_prepares_each_plan_once(tmp_path, dis02, monkeypatch):
    """Fewer round trips: one request per part (two for a part whose check asks again, plus its
    follow-ups), not one per check; a fork server is handed a plan's program once, and its
    children are asked for the program's groups by number."""
    sent, prepared = [], []
    send, prepare = ChildSession.send, ForkServer._prepare
    monkeypatch.setattr(ChildSession, "send", lambda self, groups, seconds: sent.append(list(groups)) or send(self, groups, seconds))
    monkeypatch.setattr(ForkServer, "_prepare", lambda self, program: prepared.append(program) or prepare(self, program))
    path = tmp_path / "right.py"
    path.write_text(BASE)
    plan = plan_for(dis02, 182)
    checks = sum(len(checks) for checks in plan.parts.values())
    asking_again = sum(p.asks_again for checks in plan.parts.values() for p in checks)
    server = ForkServer("process")
    try:
        for seed in (182, 182, 7):
            sent.clear()
            assert grade(path, dis02, seed, isolation="process", server=server).score == 16
            requests = [groups for groups in sent if all(type(g) is int for g in groups)]
            follow_ups = [groups for groups in sent if any(type(g) is not int for g in groups)]
            assert len(requests) <= len(dis02.spec.parts) + asking_again < checks / 2
            assert sum(map(len, requests)) == checks
            assert len(follow_ups) <= 4 * asking_again
    finally:
        server.close()
    assert prepared == [program_for(plan)[0], program_for(plan_for(dis02, 7))[0]]


def test_a_check_that_asks_again_is_answered_before_the_checks_after_it(tmp_path):
    """A check that asks the child again (after seeing its first results) ends a request: its
    second call runs before the next check's, as it would one check at a time. Here the next
    check hangs: the first still passes, and only the hanging one times out."""
    import time

    from grader.core.cases import Case
    from grader.core.engine import drive_part
    from grader.core.plan import PlannedCheck
    from grader.judge.verdict import Check, Verdict, call
    from grader.sandbox.session import Limits, Program

    case = Case({"x": 2.0}, key="s/0")
    twice = ["call", "twice", [["input", "x"]]]

    def asks_twice(detail=False):
        first = yield [call(twice, case)]
        second = yield [call(twice, case)]
        return Verdict(passed=[first[0]["v"], second[0]["v"]] == [4.0, 4.0])

    def hangs(detail=False):
        yield [call(["call", "hang", []], case)]
        return Verdict(passed=True)

    planned = [PlannedCheck(name="asks again", points=1, hidden=False, check=Check(run=asks_twice), asks_again=True),
               PlannedCheck(name="hangs", points=1, hidden=False, check=Check(run=hangs))]
    units = [{"name": "s.py", "source": "import time\ndef twice(x):\n    return 2 * x\n"
                                        "def hang():\n    time.sleep(60)\n"}]
    session = ChildSession(units, Limits(), time.monotonic() + 60, "process")
    session.start()
    session.use(Program('{"s/0": {"x": 2.0}}'))
    try:
        verdicts = drive_part(planned, session, time.monotonic() + 3, {})
    finally:
        session.close()
    assert verdicts[0].passed, verdicts[0].message
    assert verdicts[1].kind == "timeout" and "did not finish within the time budget" in verdicts[1].message


def test_a_plain_reply_head_is_read_as_the_parser_reads_it():
    """The head of a reply of numbers and arrays is read by a pattern, into the dict the JSON
    parser makes; one that only looks like it (leading zeros, too many digits) is the parser's."""
    head = b'{"nonce": "0123456789abcdef", "g": 3, "n": 24, "i": 72, "x": []}'
    assert protocol.parse_json(head) == {"nonce": "0123456789abcdef", "g": 3, "n": 24, "i": 72, "x": []}
    assert protocol.parse_json(head.replace(b'"g": 3', b'"g": 1' + b"0" * 18))["g"] == 10 ** 18
    with pytest.raises(Malformed, match="an integer of 20 digits"):
        protocol.parse_json(head.replace(b'"g": 3', b'"g": 1' + b"0" * 19))
    with pytest.raises(Malformed, match="not JSON"):
        protocol.parse_json(head.replace(b'"g": 3', b'"g": 03'))
    assert protocol.parse_json(head.replace(b'"x": []', b'"x": [[0, {"t": "none"}]]'))["x"] == [[0, {"t": "none"}]]


def test_a_child_sent_its_program_decodes_each_case_and_group_when_first_asked(dis02):
    """A `grader check` child: its first reply waits only for what the first request needs; what
    it decodes later is what a fork server decodes at once."""
    import json
    from grader.sandbox import child
    text = program_for(plan_for(dis02, 182))[0].text()
    now, later = child.Program(json.loads(text)), child.Program(json.loads(text), now=False)
    assert len(later.cases) == 0 and all(g is None for g in later.groups)
    key = next(iter(now.cases))
    assert later.cases[key].keys() == now.cases[key].keys()
    assert all(np.array_equal(a, b) for a, b in zip(later.cases[key].values(), now.cases[key].values()))
    assert len(later.cases) == 1
    group = later.group(3)
    assert later.group(3) is group and sum(g is not None for g in later.groups) == 1
    assert [(i.slot, i.keys, i.leaves) for i in group] == [(i.slot, i.keys, i.leaves) for i in now.groups[3]]
    assert all(a.inputs.keys() == b.inputs.keys() for a, b in zip(group, now.groups[3]))
    with pytest.raises(KeyError):
        later.cases["no such case"]
