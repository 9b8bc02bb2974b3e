"""Students of one batch attack each other, and what they make must not outlive them (issue 11,
items 2, 5 and 8), in every isolation mode and both ways a child is walled off: with namespaces of
its own, and without (GRADER_NAMESPACES=0: what Docker's default seccomp profile leaves, as on
Gradescope). Each test runs `grader batch` and looks only at what it made: its own file names,
SysV keys, sockets, the uids of its own range (GRADER_UID_BASE) and the batch's own processes.
"""
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from grader.sandbox import cgroup
from grader.sandbox import isolation as sandbox
from grader.sandbox.confine import landlock_abi
from grader.sandbox.forkserver import ForkServer
from grader.core.engine import grade
from tests.conftest import BASE, GRADER, ROOT

SHARED = ("/tmp", "/var/tmp", "/dev/shm")
TIERS = [("bubblewrap", True), ("bubblewrap", False), ("user", True), ("user", False),
         ("process", True), ("process", False)]
TIER_IDS = [f"{mode}-{'namespaces' if ns else 'no-namespaces'}" for mode, ns in TIERS]
SAME_USER = "process isolation runs every student as the grader's own user (README: it separates nothing)"
ATTACK_SECONDS = 4


def _require_mode(mode: str) -> None:
    why = sandbox.unavailable(mode)
    if why:
        pytest.skip(f"{mode} isolation unavailable here: {why}")


def _require(mode: str, namespaces: bool) -> None:
    _require_mode(mode)
    refused = sandbox.namespaces_refused(mode) if namespaces else None
    if refused:
        pytest.skip(f"a child cannot make namespaces of its own here: {refused}")
    if mode == "process" and not namespaces and landlock_abi() < 1:
        pytest.skip("without namespaces or Landlock, process isolation cannot tell a student's files from ours")


class Arena:
    """A class folder, a uid range of its own, a private TMPDIR, and what the batch left."""

    def __init__(self, tmp_path: Path, mode: str, namespaces: bool):
        self.mode, self.namespaces = mode, namespaces
        self.folder = tmp_path / "class"
        self.folder.mkdir()
        self.out = tmp_path / "out.jsonl"
        self.tmpdir = tmp_path / "tmpdir"
        self.tmpdir.mkdir()
        self.token = f"grader-test-{secrets.token_hex(6)}"
        self.key = random.randrange(0x5A000000, 0x5AFFFF00, 4)   # SysV keys key, key+1, key+2
        self.uid_base = random.randrange(1_950_000_000, 1_990_000_000, 16)
        self.uids = range(self.uid_base, self.uid_base + 8)
        self.pids: set[int] = set()     # the batch's main process and its workers
        # groups named after a pid: another run's leftovers may bear one of ours (pids are reused)
        self.groups_before = {name for folder in _cgroup_folders() for name in os.listdir(folder)}

    def env(self) -> dict:
        env = {**os.environ, "NO_COLOR": "1", "GRADER_UID_BASE": str(self.uid_base),
               "GRADER_UID_COUNT": str(len(self.uids)), "TMPDIR": str(self.tmpdir)}
        if not self.namespaces:
            env["GRADER_NAMESPACES"] = "0"
        return env

    def write(self, name: str, source: str, **values) -> None:
        for key, value in {"TOKEN": self.token, "KEY": self.key, **values}.items():
            source = source.replace(f"@{key}@", str(value))
        (self.folder / name).write_text(source)

    def start(self, jobs: int) -> subprocess.Popen:
        batch = subprocess.Popen([*GRADER, "batch", str(self.folder), "--out", str(self.out), "-j", str(jobs),
                                  "--isolation", self.mode], cwd=ROOT, env=self.env(), text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.pids.add(batch.pid)
        sandbox.started(batch.pid)   # ours: not an orphan for this process's reaper to kill
        threading.Thread(target=self._watch, args=(batch,), daemon=True).start()
        return batch

    def _watch(self, batch: subprocess.Popen) -> None:
        while batch.poll() is None:
            self.pids.update(_children(batch.pid))
            time.sleep(0.05)

    def run(self, jobs: int) -> dict:
        batch = self.start(jobs)
        _, stderr = batch.communicate(timeout=600)
        assert batch.returncode == 0, stderr
        assert "Traceback" not in stderr
        return self.documents()

    def documents(self) -> dict:
        return {d["submission"]: d for d in map(json.loads, self.out.read_text().splitlines())}

    def leftovers(self) -> list[str]:
        """Everything of this batch still there: files, SysV objects, processes, cgroups, temp
        files of the grader itself. Removes the files it finds, so a failure leaves no mess."""
        found = []
        for folder in SHARED:
            for name in os.listdir(folder):
                if self.token in name:
                    found.append(f"file {folder}/{name}")
                    subprocess.run(["rm", "-rf", os.path.join(folder, name)], check=False)
        keys = {str(self.key + i) for i in range(3)}
        uid_names = {str(u) for u in self.uids}
        for kind in ("shm", "sem", "msg"):
            header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
            for row in rows:
                values = dict(zip(header.split(), row.split()))
                if values["key"] in keys or {values["uid"], values["cuid"]} & uid_names:
                    found.append(f"SysV {kind} {row.split()[:2]}")
        for pid, uid in _uids_of_processes():
            if uid in self.uids:
                found.append(f"process {pid} of uid {uid}")
        for folder in _cgroup_folders():
            for name in os.listdir(folder):
                if name not in self.groups_before and any(name.startswith(f"grader-{pid}-") for pid in self.pids):
                    found.append(f"cgroup {folder}/{name}")
        found += [f"grader's own temp file {p}" for p in self.tmpdir.iterdir()]
        return found


def _children(parent: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _uids_of_processes():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                    if line.startswith("Uid:"):
                        for uid in {int(v) for v in line.split()[1:]}:
                            yield int(entry), uid
            except OSError:
                continue


def _cgroup_folders() -> list[str]:
    """Where the grader makes its groups: below our own group in each hierarchy it uses."""
    folders = []
    for controller in ("pids", "memory", None):
        own = cgroup._own(controller)
        folder = cgroup.ROOT / (controller or "") / own if own is not None else None
        if folder is not None and folder.is_dir():
            folders.append(str(folder))
    return folders


# ---- what outlives a student (items 5 and 8) ---------------------------------------------------

FILES = """
import os
for base in ("/tmp", "/var/tmp", "/dev/shm", "."):
    try:
        with open(os.path.join(base, "@TOKEN@-file"), "w") as f:
            f.write("left behind")
        top = os.path.join(base, "@TOKEN@-locked")
        os.makedirs(os.path.join(top, "inner", "deeper"))
        with open(os.path.join(top, "inner", "data"), "w") as f:
            f.write("x" * 4096)
        for folder in (os.path.join(top, "inner", "deeper"), os.path.join(top, "inner"), top):
            os.chmod(folder, 0)
        print("WROTE", base)
    except OSError as err:
        print("REFUSED", base, err)
try:   # deeper than PATH_MAX, a folder with mode 000 at the bottom, 12 MiB in /dev/shm
    here = os.open("/tmp", os.O_RDONLY)
    name = "@TOKEN@-deep"
    for _ in range(2100):
        os.mkdir(name, dir_fd=here)
        below = os.open(name, os.O_RDONLY, dir_fd=here)
        os.close(here)
        here, name = below, "d"
    os.mkdir("locked", 0, dir_fd=here)
    with open("/dev/shm/@TOKEN@-big", "wb") as f:
        f.write(b"z" * (12 << 20))
    print("DEEP")
except OSError as err:
    print("REFUSED deep", err)
"""

SYSV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
for key in (@KEY@, 0):   # a known key, and IPC_PRIVATE
    segment = libc.shmget(key, 128 << 20, 0o1000 | 0o600)
    print("SHM", key, segment, ctypes.get_errno())
    if segment >= 0:
        address = libc.shmat(segment, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memset(address, 1, 128 << 20)   # charged to whoever holds it
print("SEM", libc.semget(@KEY@ + 1, 4, 0o1000 | 0o666), ctypes.get_errno())
print("MSG", libc.msgget(@KEY@ + 2, 0o1000 | 0o666), ctypes.get_errno())
"""

NETWORK = """
import socket, time
for family, address in ((socket.AF_INET, ("127.0.0.1", @PORT@)), (socket.AF_UNIX, "\\0@TOKEN@-service")):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(address)
        s.sendall(b"@TOKEN@ reached you")
        print("REACHED", address)
    except OSError as err:
        print("UNREACHABLE", address, err)
kept = []
for family, address in ((socket.AF_INET, ("127.0.0.1", @PORT2@)), (socket.AF_UNIX, "\\0@TOKEN@-left")):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind(address)
        s.listen()
        kept.append(s)
        print("LISTENING", address)
    except OSError as err:
        print("NO LISTENER", address, err)
"""

# An honest student who looks for what the one before it left, and says what it finds
OBSERVER = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for base in ("/tmp", "/var/tmp", "/dev/shm", "."):
    try:
        for name in os.listdir(base):
            if "@TOKEN@" in name:
                print("FOUND", base, name)
    except OSError:
        pass
for kind in ("shm", "sem", "msg"):
    try:
        for row in open("/proc/sysvipc/" + kind).read().splitlines()[1:]:
            print("FOUND SysV", kind, row[:40])
    except OSError:
        pass
for name, found in (("shm", libc.shmget(@KEY@, 0, 0)), ("sem", libc.semget(@KEY@ + 1, 0, 0)),
                    ("msg", libc.msgget(@KEY@ + 2, 0, 0))):
    if found >= 0:
        print("FOUND SysV key", name)
""" + BASE


@pytest.fixture
def arena(request, tmp_path):
    mode, namespaces = request.param
    _require(mode, namespaces)
    return Arena(tmp_path, mode, namespaces)


class Service:
    """A TCP service on localhost and an abstract unix socket: what a student must not reach."""

    def __init__(self, token: str):
        self.received: list[bytes] = []
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(f"\0{token}-service")
        for listener in (self.tcp, self.unix):
            listener.listen()
            threading.Thread(target=self._serve, args=(listener,), daemon=True).start()
        self.port = self.tcp.getsockname()[1]
        spare = socket.socket()
        spare.bind(("127.0.0.1", 0))
        self.spare_port = spare.getsockname()[1]   # where a student will try to listen
        spare.close()

    def _serve(self, listener) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            self.received.append(connection.recv(100) or b"(connected)")
            connection.close()

    def close(self) -> None:
        self.tcp.close()
        self.unix.close()


def _connects(family, address) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        try:
            s.connect(address)
            return True
        except OSError:
            return False


@pytest.mark.parametrize("arena", TIERS, ids=TIER_IDS, indirect=True)
def test_nothing_a_student_makes_outlives_it(arena):
    """One worker, so each observer is graded right after an attacker on the same fork server.
    Attackers leave files (mode 000 folders, a tree deeper than PATH_MAX), SysV objects, sockets;
    the next student must find none, honest students lose nothing, and after the batch nothing
    of it is left on the machine."""
    service = Service(arena.token)
    try:
        for name, attack in (("a1_files", FILES), ("b1_sysv", SYSV), ("c1_network", NETWORK)):
            arena.write(f"{name}.py", attack, PORT=service.port, PORT2=service.spare_port)
            arena.write(f"{name[0]}2_observer.py", OBSERVER)
        arena.write("d_honest.py", BASE)
        docs = arena.run(jobs=1)
    finally:
        service.close()
        left = arena.leftovers()   # found (and removed) first, whatever fails below
    assert len(docs) == 7
    for name in ("a1_files.py", "b1_sysv.py", "c1_network.py"):
        assert docs[name]["score"] == 0
    for name in ("a2_observer.py", "b2_observer.py", "c2_observer.py", "d_honest.py"):
        assert docs[name]["score"] == 16, docs[name]["parts"]
        assert "FOUND" not in docs[name]["output"], docs[name]["output"]
    assert service.received == [], "a student reached a service of the host"
    assert not _connects(socket.AF_INET, ("127.0.0.1", service.spare_port))
    assert not _connects(socket.AF_UNIX, f"\0{arena.token}-left")
    assert left == []
    # the attacks did run: where writing was allowed at all, the files were made
    if arena.mode != "process" or arena.namespaces:
        assert "WROTE /tmp" in docs["a1_files.py"]["output"] and "DEEP" in docs["a1_files.py"]["output"]


# ---- students of one batch attack each other (item 2) ------------------------------------------

# No solution of its own: for a few seconds, kill every process it can see (but its parent) and
# read every memory it can open, looking for other students' sources; say what it managed.
ATTACKER = """
import os, re, signal, time
me, parent = os.getpid(), os.getppid()
if os.getuid() == 0:   # never: were it so, this would kill every process of the machine
    print("RAN AS ROOT")
    raise SystemExit
killed, opened, found, visible = set(), set(), set(), {}
end = time.time() + @SECONDS@
while time.time() < end:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (me, parent):
            continue
        try:
            for line in open(f"/proc/{entry}/status"):
                if line.startswith("Uid:"):
                    visible[entry] = int(line.split()[1])
        except OSError:
            pass
        for what in ("cmdline", "environ"):
            try:
                found.update(re.findall(rb"HONEST-SECRET-[0-9]+", open(f"/proc/{entry}/{what}", "rb").read()))
            except OSError:
                pass
        try:
            maps = open(f"/proc/{entry}/maps").read().splitlines()
            memory = open(f"/proc/{entry}/mem", "rb", buffering=0)
        except OSError:
            maps = None
        if maps is not None:
            opened.add(entry)
            for line in maps:
                span, permissions = line.split()[:2]
                low, high = (int(x, 16) for x in span.split("-"))
                if permissions.startswith("rw") and high - low < 64 << 20:
                    try:
                        memory.seek(low)
                        found.update(re.findall(rb"HONEST-SECRET-[0-9]+", memory.read(high - low)))
                    except (OSError, ValueError, OverflowError):
                        pass
            memory.close()
        try:
            os.kill(int(entry), signal.SIGKILL)
            killed.add(entry)
        except OSError:
            pass
    time.sleep(0.01)
print("UID", os.getuid())
print("KILLED", len(killed), "OPENED", len(opened), "FOUND", sorted(found))
print("VISIBLE", len(visible), "OTHER UIDS", sorted(set(visible.values()) - {os.getuid()}))
"""

HONEST = "import os\nprint('UID', os.getuid())\n" + BASE + "\n# HONEST-SECRET-@N@\n"


@pytest.mark.parametrize("arena", [t for t in TIERS if t[0] != "process"],
                         ids=[i for t, i in zip(TIERS, TIER_IDS) if t[0] != "process"], indirect=True)
def test_students_cannot_reach_each_other(arena):
    """Two workers: the attacker runs on one while the other grades honest students."""
    arena.write("a_attacker.py", ATTACKER, SECONDS=ATTACK_SECONDS)
    for n in range(12):
        arena.write(f"b{n:02}.py", HONEST, N=n)
    docs = arena.run(jobs=2)
    attack = docs["a_attacker.py"]["output"]
    assert docs["a_attacker.py"]["score"] == 0
    assert all(docs[f"b{n:02}.py"]["score"] == 16 for n in range(12)), \
        {name: d["score"] for name, d in docs.items()}
    assert "RAN AS ROOT" not in attack
    assert "FOUND []" in attack, attack
    assert "OPENED 0" in attack, attack
    if arena.mode == "user":
        uids = {int(m) for d in docs.values() for m in re.findall(r"UID (\d+)", d["output"])}
        assert len(uids) == 2 and uids <= set(arena.uids), uids   # a uid of its own per worker
        if arena.namespaces:
            assert "OTHER UIDS []" in attack, attack   # it sees its own processes, no one else's
    if arena.mode == "bubblewrap":
        assert int(re.search(r"VISIBLE (\d+)", attack).group(1)) <= 3, attack   # its own sandbox only
    assert arena.leftovers() == []


RACER = """
import ctypes, os, time
ctypes.CDLL(None).prctl(15, b"@TOKEN@"[-15:], 0, 0, 0)   # PR_SET_NAME: the test waits for it
seen, opened = set(os.listdir("/proc")), []
end = time.time() + @SECONDS@
while time.time() < end:
    for entry in os.listdir("/proc"):
        if entry.isdigit() and entry not in seen:
            seen.add(entry)
            try:
                opened.append((entry, open(f"/proc/{entry}/mem", "r+b", buffering=0)))
            except OSError:
                pass
for entry, memory in opened:   # what it would do with one: write over the server's code
    try:
        for line in open(f"/proc/{entry}/maps"):
            span, permissions = line.split()[:2]
            if "x" in permissions:
                low, high = (int(x, 16) for x in span.split("-"))
                memory.seek(low)
                memory.write(b"\\xcc" * min(high - low, 1 << 16))
    except (OSError, ValueError, OverflowError):
        pass
print("OPENED", len(opened))
"""


RACE_TIERS = [("user", True), ("user", False), ("bubblewrap", True)]


@pytest.mark.parametrize("mode, namespaces", RACE_TIERS,
                         ids=[f"{m}-{'namespaces' if ns else 'no-namespaces'}" for m, ns in RACE_TIERS])
def test_a_fresh_fork_server_cannot_be_opened_while_it_starts(mode, namespaces, tmp_path, dis02, monkeypatch):
    """A student watches for new processes and opens each one's memory the moment it appears,
    while fork servers start (as a worker does after its server died); it would write over
    their code. Every student those servers grade still gets full marks."""
    _require(mode, namespaces)
    if not namespaces:
        monkeypatch.setenv("GRADER_NAMESPACES", "0")
        monkeypatch.setattr(sandbox, "_namespaces", {})
    arena = Arena(tmp_path, mode, namespaces)
    arena.write("racer.py", RACER, SECONDS=7)   # under the 10 s load budget
    racer = subprocess.Popen([*GRADER, "check", str(arena.folder / "racer.py"), "--json", "--isolation", mode],
                             cwd=ROOT, env=arena.env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sandbox.started(racer.pid)   # ours: not an orphan for this process's reaper to kill
    deadline = time.monotonic() + 60
    while not _named(arena.token[-15:]):
        assert racer.poll() is None and time.monotonic() < deadline, racer.stderr.read()
        time.sleep(0.05)
    honest = tmp_path / "honest.py"
    honest.write_text(BASE)
    for _ in range(3):
        server = ForkServer(mode)
        try:
            assert grade(honest, dis02, 182, isolation=mode, server=server).score == 16
        finally:
            server.close()
    out, err = racer.communicate(timeout=120)
    assert racer.returncode == 1 and out, err
    assert "OPENED 0" in json.loads(out)["output"], err


def _named(name: str) -> bool:
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text().strip() == name:
                return True
        except OSError:
            continue
    return False


# Its parent only: in process isolation a student is the grader's own user (root in CI), so a
# broader kill (kill(-1)) would reach every process of the machine.
SERVER_KILLER = """
import os, signal
def _kill():
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except OSError:
        pass
_kill()
def relu_net(x, W1, b1, W2, b2):
    _kill()
dy_db2 = dy_dW2 = dy_db1 = dy_dW1 = y_hat = forward = backward = ridge_map = log_posterior = relu_net
"""


@pytest.mark.parametrize("mode", ["bubblewrap", "user", "process"])
def test_a_student_who_kills_its_server_gets_its_document(mode, tmp_path):
    """It kills its parent (its fork server; in process isolation, after that, the worker itself)
    at import and in every function. It is graded again a bounded number of times and gets its
    document; the others are not disturbed."""
    _require_mode(mode)
    arena = Arena(tmp_path, mode, sandbox.namespaces_refused(mode) is None)
    arena.write("a_killer.py", SERVER_KILLER)
    for n in range(6):
        arena.write(f"b{n}.py", HONEST, N=n)
    started = time.monotonic()
    docs = arena.run(jobs=2)
    assert time.monotonic() - started < 300
    assert len(docs) == 7 and docs["a_killer.py"]["score"] == 0
    assert all(docs[f"b{n}.py"]["score"] == 16 for n in range(6))
    assert arena.leftovers() == []


@pytest.mark.parametrize("mode", ["bubblewrap", "user", "process"])
def test_a_killed_worker_is_replaced_and_leaves_nothing(mode, tmp_path):
    """A worker is SIGKILLed mid-batch (no exit code of its runs): the batch goes on with a new
    one, every submission is graded, and nothing of the dead worker (its server's cgroups, its
    uid's processes, temp folders) is left."""
    _require_mode(mode)
    arena = Arena(tmp_path, mode, sandbox.namespaces_refused(mode) is None)
    for n in range(14):
        arena.write(f"s{n:02}.py", "import time\ntime.sleep(0.4)\n" + HONEST, N=n)
    batch = arena.start(jobs=2)
    deadline = time.monotonic() + 120
    while not (arena.out.exists() and arena.out.read_text().count("\n") >= 2):
        assert batch.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    victim = min(_children(batch.pid))
    scopes = [name for folder in _cgroup_folders() for name in os.listdir(folder)
              if name.startswith(f"grader-{batch.pid}-")]
    os.kill(victim, signal.SIGKILL)
    _, stderr = batch.communicate(timeout=600)
    assert batch.returncode == 0, stderr
    docs = arena.documents()
    assert sorted(docs) == [f"s{n:02}.py" for n in range(14)], "each graded exactly once"
    assert all(d["score"] == 16 for d in docs.values()), {n: d["score"] for n, d in docs.items()}
    assert scopes or not _cgroups_usable(), "the batch made its cgroup scope"
    assert arena.leftovers() == []


def _cgroups_usable() -> bool:
    group = cgroup.Cgroup.create(8, 64 << 20)
    if group is None:
        return False
    group.remove()
    return True


# ---- a server that dies under a student; a group per child ---------------------------------------

SLOW_HONEST = BASE.replace("def ridge_map(", "_slept = []\n\n\ndef ridge_map(*args):\n    import time\n"
                           "    if not _slept:\n        _slept.append(time.sleep(1.5))\n"
                           "    return _ridge_map(*args)\n\n\ndef _ridge_map(", 1)


@pytest.mark.parametrize("mode", ["bubblewrap", "user", "process"])
def test_a_student_whose_server_died_under_it_is_graded_again(mode, tmp_path, dis02, monkeypatch):
    """The server is killed from outside while it grades an honest student (as an attacker in
    another worker could once do): the worker grades that student again on a fresh server."""
    _require_mode(mode)
    from grader.batch import workers as parallel
    from grader.batch.folders import Found
    path = tmp_path / "honest.py"
    path.write_text(SLOW_HONEST)
    server = ForkServer(mode)
    forked = threading.Event()
    fork = ForkServer.fork

    def fork_and_tell(self, fds, program=None):
        held = fork(self, fds, program)
        forked.set()
        return held
    monkeypatch.setattr(ForkServer, "fork", fork_and_tell)
    monkeypatch.setattr(parallel, "_worker", dict(problem=dis02, seed=182, isolation=mode, server=server))
    killed = []

    def kill_the_server_while_it_grades():
        if forked.wait(timeout=120):
            time.sleep(0.5)    # loaded, and grading (part 3a alone sleeps 1.5 s)
            killed.append(server.proc.pid)
            os.kill(server.proc.pid, signal.SIGKILL)
    try:
        killer = threading.Thread(target=kill_the_server_while_it_grades)
        killer.start()
        doc = json.loads(parallel._grade_one(Found("honest.py", path)))
        killer.join()
    finally:
        server.close()
    assert killed, "the server was killed while it graded"
    assert doc["score"] == 16, [c["message"] for p in doc["parts"] for c in p["checks"] if not c["passed"]]


def test_each_child_has_a_group_of_its_own(dis02):
    """Memory and tasks are counted per student: the child is moved into its own group before it
    reads the submission, and the group is gone once the child is."""
    if not _cgroups_usable():
        pytest.skip("no writable cgroup fs here")
    from grader.core.plan import plan_for
    from grader.sandbox.session import ChildSession, Limits
    from grader.submissions.files import units
    server = ForkServer(sandbox.strongest())
    try:
        session = ChildSession(units(ROOT / "tests/solutions/correct/vectorized.py"), Limits(),
                               time.monotonic() + 60, server.isolation, plan_for(dis02, 182).case_table, server)
        session.start()
        session.ensure_loaded()
        group = server.child_group
        assert group is not None and len(group.pids()) == 1
        assert set(server.home.pids()) == server.keep, "only the server is left in its own group"
        assert all(folder.parent in server.group.folders for folder in group.folders)
        session.close()
        assert server.child_group is None and not any(folder.exists() for folder in group.folders)
    finally:
        server.close()


def test_a_dead_judges_groups_are_removed_by_a_later_batch():
    """A judge killed outright (SIGKILL, the OOM killer) leaves its groups behind; a batch removes
    them before it starts: those named as ours, whose judge is gone, untouched for a while and
    empty. A running judge's group, one with a process still in it, and anyone else's stay. All
    planted below a group of this test's own."""
    if not _cgroups_usable():
        pytest.skip("no writable cgroup fs here")
    here = cgroup.Cgroup.create(None, None)
    sleeper = subprocess.Popen(["sleep", "120"])
    try:
        gone = subprocess.Popen(["true"])
        gone.wait()              # a pid no process has now

        def plant(name):
            group = cgroup.Cgroup.create(None, None, parent=here, name=name)
            cgroup.Cgroup.create(None, None, parent=group, name="child-1")
            return group
        dead = plant(f"grader-{gone.pid}-{secrets.token_hex(4)}")
        running = plant(f"grader-{os.getpid()}-{secrets.token_hex(4)}")
        busy = plant(f"grader-{gone.pid}-{secrets.token_hex(4)}")
        busy.add(sleeper.pid)
        other = plant(f"someone-{gone.pid}-{secrets.token_hex(4)}")
        assert cgroup.remove_leftovers(here.folders, older_than=3600) == 0     # too recent yet
        # the dead judge's group and the one below it, and the empty one below the busy group,
        # in each hierarchy
        assert cgroup.remove_leftovers(here.folders, older_than=0) == 3 * len(dead.folders)
        assert not any(folder.exists() for folder in dead.folders)
        for kept in (running, busy, other):
            assert all(folder.exists() for folder in kept.folders)
        assert busy.pids() == [sleeper.pid]
        assert not any(folder.exists() for folder in busy.folders[0].iterdir() if folder.is_dir()), \
            "the empty group below the busy one goes"
    finally:
        sleeper.kill()
        sleeper.wait()
        here.remove()


def test_a_batch_removes_what_a_killed_batch_left(tmp_path):
    if not _cgroups_usable():
        pytest.skip("no writable cgroup fs here")
    gone = subprocess.Popen(["true"])
    gone.wait()
    left = cgroup.Cgroup.create(None, None, name=f"grader-{gone.pid}-{secrets.token_hex(4)}")
    try:
        cgroup.Cgroup.create(None, None, parent=left, name="child-1")
        hours_ago = time.time() - 2 * 3600
        for folder in left.folders:
            os.utime(folder, (hours_ago, hours_ago))
        (tmp_path / "class").mkdir()
        (tmp_path / "class" / "a.py").write_text(BASE)
        done = subprocess.run([*GRADER, "batch", tmp_path / "class", "--out", tmp_path / "r.jsonl", "-j", "1"],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert not any(folder.exists() for folder in left.folders)
    finally:
        left.remove()
