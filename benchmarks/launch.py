"""LTI launch benchmark: complete launches (login + launch) against the tool under gunicorn on
PostgreSQL, side by side with a plain pylti1p3 tool shaped like pylti1p3's Flask example.

    .venv/bin/python benchmarks/launch.py [--duration 10] [--warmup 2] [--concurrency 8 32]
                                          [--skip-baseline] [--skip-tuned] [--json out.json]
                                          [--ref HEAD] [--profile stacks.txt]

Needs PostgreSQL's server binaries (as bin/test does) and, for the baseline,
benchmarks/launch/requirements.txt plus Debian's redis-server. About 3.5 minutes with defaults.

What runs where (2 cores):
- core 0: the server side, whose CPU is measured: gunicorn with 2 sync workers (our tool, or the
  baseline), and its store: a throwaway PostgreSQL cluster for our tool (or the one at
  LTI_TOOL_BENCH_DATABASE_URL), Redis for the baseline (Flask-Caching's FileSystemCache when no
  redis-server is installed);
- core 1: this script, the load driver, and the mock platform serving the platform's key set
  (benchmarks/launch/mock_platform.py), which can answer 50 ms late as a remote LMS does.

One complete launch, per client, in a loop for a bounded time: GET the login URL → read state
and nonce from the 302's Location and the state cookie → sign an id_token with the platform's
RSA key (a pre-loaded key object; 1,000 users in 20 courses, so people are upserted as in real
use) → POST it with the cookie → expect 303. Latency is both round trips. Server CPU per launch
is the utime+stime (/proc/<pid>/stat, children included) of the gunicorn master and workers and
of every process of the store, over the measured window, divided by the launches completed in
it. A warm-up comes before each window; the key set's request counter is read at both ends of
the window ("no blocking network call while handling a launch" means 0 for our tool).

Matrix: {our tool, baseline, tuned baseline} × {key set on loopback, 50 ms late} × concurrency.
Each (stack, key set) pair gets a freshly started gunicorn; for our tool the stored key set is
deleted first, so its workers fetch it (once) from the slow key set during the warm-up.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "launch"
BIN = Path(sys.executable).parent
SERVER_CORE, DRIVER_CORE = 0, 1
CLK_TCK = os.sysconf("SC_CLK_TCK")

ISSUER_CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "bench-deployment"
KID = "bench-platform-key-1"
USERS, COURSES = 1000, 20
SLOW_MS = 50.0

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

# The issue's figures, measured on this kind of machine (docs: lti.md §4.1).
REFERENCE = [
    ("pylti1p3, Flask-example style", 3.45, "269", "33"),
    ("pylti1p3, tuned", 2.34, "356", "381"),
    ("ltijs on PostgreSQL", 9.6, "105", "97"),
]
TARGET_CPU_MS = 2.0


# -- CPU accounting ---------------------------------------------------------------------------

def _proc_table() -> dict[int, tuple[int, str, float, float]]:
    """pid → (ppid, comm, own CPU s, reaped children's CPU s), for every live process."""
    table: dict[int, tuple[int, str, float, float]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read().decode("ascii", "replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is state (stat field 3): utime is field 14, so fields[11].
        ppid = int(fields[1])
        own = (int(fields[11]) + int(fields[12])) / CLK_TCK
        children = (int(fields[13]) + int(fields[14])) / CLK_TCK
        table[int(name)] = (ppid, comm, own, children)
    return table


def tree_cpu(roots: list[int], table: dict[int, tuple[int, str, float, float]] | None = None
             ) -> float:
    """CPU seconds of the processes `roots` and all their descendants, including children that
    exited and were reaped (they show in their parent's cutime/cstime)."""
    table = table if table is not None else _proc_table()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, *_rest) in table.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        _ppid, _comm, own, children = table[pid]
        total += own + children
        todo.extend(kids.get(pid, []))
    return total


def core_times(core: int | None) -> tuple[float, float]:
    """(busy, total) seconds of one core (or of all when None), from /proc/stat."""
    name = "cpu" if core is None else f"cpu{core}"
    with open("/proc/stat") as fh:
        for line in fh:
            parts = line.split()
            if parts[0] == name:
                values = [int(v) for v in parts[1:9]]
                idle = values[3] + values[4]  # idle + iowait
                return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK
    return 0.0, 0.0


def postgres_roots() -> list[int]:
    """Postmasters on this machine (for a database we did not start ourselves)."""
    table = _proc_table()
    return [pid for pid, (ppid, comm, *_r) in table.items()
            if comm == "postgres" and table.get(ppid, (0, ""))[1] != "postgres"]


# -- helpers ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cmd: list[str], core: int | None) -> list[str]:
    return (["taskset", "-c", str(core)] + cmd) if core is not None and shutil.which("taskset") \
        else cmd


def wait_http(port: int, path: str = "/", timeout: float = 30.0,
              proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- the store and the platform ---------------------------------------------------------------

class PgCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1, pinned to the server core, as bin/test makes
    one: owned by an unprivileged user when we are root (postgres refuses to run as root)."""

    def __init__(self, workdir: Path, synchronous_commit: bool):
        self.dir = workdir / "pg"
        self.dir.mkdir()
        self.port = free_port()
        self.synchronous_commit = synchronous_commit
        self.as_user: list[str] = []
        self.pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                            key=lambda p: int(p.parent.name))[-1]
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/lti_tool_bench"

    def _run(self, *cmd: str, core: int | None = None) -> None:
        subprocess.run(pinned([*self.as_user, *cmd], core), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if os.getuid() == 0:
            if subprocess.run(["id", "ltitest"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                "/usr/sbin/nologin", "ltitest"], check=True)
            shutil.chown(self.dir, "ltitest")
            self.as_user = ["runuser", "-u", "ltitest", "--"]
        self._run(str(self.pgbin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                f"-c synchronous_commit={'on' if self.synchronous_commit else 'off'}")
        self._run(str(self.pgbin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "log"), "-w", "-o", opts, "start", core=SERVER_CORE)
        self.started = True
        self._run(str(self.pgbin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "lti_tool_bench")

    def pids(self) -> list[int]:
        with open(self.dir / "data" / "postmaster.pid") as fh:
            return [int(fh.readline())]

    def version(self) -> str:
        out = subprocess.run([str(self.pgbin / "postgres"), "--version"], capture_output=True,
                             text=True)
        return out.stdout.strip()

    def stop(self) -> None:
        if self.started:
            subprocess.run([*self.as_user, str(self.pgbin / "pg_ctl"), "-D",
                            str(self.dir / "data"), "-m", "fast", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False


class RedisServer:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.log = workdir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"]
        self.proc = subprocess.Popen(pinned(cmd, SERVER_CORE), stdout=self.log.open("wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start:\n" + tail(self.log))

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc else []

    def stop(self) -> None:
        stop_process(self.proc)


class MockPlatform:
    def __init__(self, workdir: Path, jwks: dict[str, Any]):
        path = workdir / "platform_jwks.json"
        path.write_text(json.dumps(jwks))
        # Started from this process, so it shares the driver's core.
        self.proc = subprocess.Popen([sys.executable, str(HERE / "mock_platform.py"), str(path)],
                                     stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"

    def _get(self, path: str) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path)
        body = json.loads(conn.getresponse().read())
        conn.close()
        return dict(body)

    def set_delay(self, ms: float) -> None:
        self._get(f"/_control?delay_ms={ms}")

    def jwks_requests(self) -> int:
        return int(self._get("/_stats")["jwks_requests"])

    def stop(self) -> None:
        stop_process(self.proc)


# -- the stacks under test --------------------------------------------------------------------

@dataclass
class Stack:
    key: str
    label: str
    login_path: str
    launch_path: str
    app: str
    env: dict[str, str]
    store_label: str
    store_pids: Callable[[], list[int]]
    chdir: Path = ROOT
    before_start: Callable[[], None] | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workdir: Path) -> None:
        if self.before_start:
            self.before_start()
        self.log = workdir / f"gunicorn-{self.key}.log"
        cmd = [str(BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{self.port}",
               "--chdir", str(self.chdir), "--backlog", "2048", self.app]
        env = {**os.environ, **self.env, "LTI_TOOL_BASE_URL": self.base_url}
        self.proc = subprocess.Popen(pinned(cmd, SERVER_CORE), env=env, cwd=self.chdir,
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        try:
            wait_http(self.port, "/", proc=self.proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{self.label}: {exc}\n{tail(self.log)}") from exc
        time.sleep(0.5)  # let both workers boot

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def cpu(self, table: dict[int, tuple[int, str, float, float]]) -> tuple[float, float]:
        assert self.proc is not None
        return tree_cpu([self.proc.pid], table), tree_cpu(self.store_pids(), table)


# -- the load driver --------------------------------------------------------------------------

class Client:
    """One simulated browser+platform pair: plain http.client, keep-alive when the server allows
    it (gunicorn's sync workers close after each response)."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request(method, path, body, headers or {})
            resp = self.conn.getresponse()
            resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            return self.request(method, path, body, headers)
        if resp.will_close:
            self.close()
        return resp

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class LaunchFailed(Exception):
    pass


@dataclass
class Launcher:
    stack: Stack
    issuer: str
    key: rsa.RSAPrivateKey

    def claims(self, rnd: random.Random, nonce: str) -> dict[str, Any]:
        user = rnd.randrange(USERS)
        course = user % COURSES
        now = int(time.time())
        launch_url = self.stack.base_url + self.stack.launch_path
        return {
            "iss": self.issuer, "aud": ISSUER_CLIENT_ID, "azp": ISSUER_CLIENT_ID,
            "sub": f"user-{user:04d}", "exp": now + 300, "iat": now, "nonce": nonce,
            "name": f"Learner {user}", "given_name": "Learner", "family_name": str(user),
            "email": f"learner{user}@school.example.org", "locale": "en",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT_ID, CLAIM + "target_link_uri": launch_url,
            CLAIM + "resource_link": {"id": f"rl-{course}-{user % 3}",
                                      "title": f"Module {user % 3}", "description": ""},
            CLAIM + "roles": [INSTRUCTOR if user % 25 == 0 else LEARNER],
            CLAIM + "context": {"id": f"course-{course:02d}", "label": f"C{course}",
                                "title": f"Course {course}",
                                "type": [COURSE_OFFERING]},
            CLAIM + "tool_platform": {"guid": "bench-lms", "name": "Benchmark LMS",
                                      "product_family_code": "moodle", "version": "4.5"},
            CLAIM + "launch_presentation": {"locale": "en", "document_target": "iframe",
                                            "return_url": self.issuer + "/course/view.php"},
            CLAIM + "lis": {"person_sourcedid": f"sis-{user}",
                            "course_section_sourcedid": f"sis-course-{course}"},
            CLAIM + "custom": {"module": f"m{user % 3}", "context_id_history": ""},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                          "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": f"{self.issuer}/ags/{course}/lineitems",
                "lineitem": f"{self.issuer}/ags/{course}/lineitems/{user % 3}"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.issuer}/nrps/{course}/memberships",
                "service_versions": ["2.0"]},
        }

    def launch(self, client: Client, rnd: random.Random) -> None:
        stack = self.stack
        query = urlencode({"iss": self.issuer, "login_hint": f"hint-{rnd.randrange(USERS)}",
                           "target_link_uri": stack.base_url + stack.launch_path,
                           "client_id": ISSUER_CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID,
                           "lti_message_hint": "bench"})
        resp = client.request("GET", stack.login_path + "?" + query)
        location = resp.getheader("Location")
        if resp.status != 302 or not location:
            raise LaunchFailed(f"login answered {resp.status}")
        auth = parse_qs(urlsplit(location).query)
        try:
            state, nonce = auth["state"][0], auth["nonce"][0]
        except KeyError as exc:
            raise LaunchFailed(f"no {exc} in the login redirect") from exc
        cookies = "; ".join(c.split(";", 1)[0].strip()
                            for c in resp.msg.get_all("Set-Cookie") or [])
        token = jwt.encode(self.claims(rnd, nonce), self.key, algorithm="RS256",
                           headers={"kid": KID})
        body = urlencode({"id_token": token, "state": state}).encode()
        resp = client.request("POST", stack.launch_path, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies,
            "Origin": self.issuer, "Accept-Language": "en"})
        if resp.status != 303:
            raise LaunchFailed(f"launch answered {resp.status}")


@dataclass
class Cell:
    stack: str
    keyset: str
    concurrency: int
    seconds: float
    launches: int
    errors: int
    launches_per_s: float
    p50_ms: float
    p95_ms: float
    tool_cpu_ms: float
    store_cpu_ms: float
    jwks_fetches: int
    jwks_fetches_warmup: int
    driver_busy: float
    server_core_busy: float
    foreign_load: float
    error_samples: list[str]

    @property
    def total_cpu_ms(self) -> float:
        return self.tool_cpu_ms + self.store_cpu_ms


def run_cell(stack: Stack, launcher: Launcher, platform_: MockPlatform, keyset: str,
             concurrency: int, warmup: float, duration: float,
             profile: Path | None = None) -> Cell:
    start = time.monotonic()
    t0, t1 = start + warmup, start + warmup + duration
    records: list[list[tuple[float, float, str | None]]] = [[] for _ in range(concurrency)]
    jwks_start = platform_.jwks_requests()

    def worker(i: int) -> None:
        rnd = random.Random(i * 7919 + int(start))
        client = Client(stack.port)
        out = records[i]
        while True:
            began = time.monotonic()
            if began >= t1:
                break
            err = None
            try:
                launcher.launch(client, rnd)
            except (LaunchFailed, OSError, http.client.HTTPException) as exc:
                err = f"{type(exc).__name__}: {exc}"
                client.close()
            ended = time.monotonic()
            out.append((ended, ended - began, err))
            if err:
                time.sleep(0.01)
        client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(concurrency)]
    for th in threads:
        th.start()

    def snapshot() -> tuple[float, float, float, int, float, float, float]:
        table = _proc_table()
        tool, store = stack.cpu(table)
        jwks = platform_.jwks_requests()
        mine = os.times()
        busy, total = core_times(SERVER_CORE)
        return time.monotonic(), tool, store, jwks, mine.user + mine.system, busy, total

    time.sleep(max(0.0, t0 - time.monotonic()))
    spy = start_profiler(stack, profile, duration) if profile else None
    a = snapshot()
    time.sleep(max(0.0, t1 - time.monotonic()))
    b = snapshot()
    if spy is not None:
        spy.wait(60)
    for th in threads:
        th.join(120)

    window = [r for rs in records for r in rs if a[0] <= r[0] <= b[0]]
    ok = sorted(lat for _t, lat, err in window if err is None)
    errors = [err for _t, _lat, err in window if err is not None]
    n = len(ok)
    seconds = b[0] - a[0]

    def pct(q: float) -> float:
        if not ok:
            return float("nan")
        return ok[min(len(ok) - 1, int(q * len(ok)))] * 1000.0

    per = 1000.0 / n if n else float("nan")
    return Cell(stack=stack.label, keyset=keyset, concurrency=concurrency, seconds=seconds,
                launches=n, errors=len(errors), launches_per_s=n / seconds,
                p50_ms=statistics.median(ok) * 1000.0 if ok else float("nan"),
                p95_ms=pct(0.95), tool_cpu_ms=(b[1] - a[1]) * per,
                store_cpu_ms=(b[2] - a[2]) * per, jwks_fetches=b[3] - a[3],
                jwks_fetches_warmup=a[3] - jwks_start, driver_busy=(b[4] - a[4]) / seconds,
                server_core_busy=(b[5] - a[5]) / max(b[6] - a[6], 1e-9),
                foreign_load=max(0.0, (b[5] - a[5]) - (b[1] - a[1]) - (b[2] - a[2]))
                / max(b[6] - a[6], 1e-9),
                error_samples=sorted(set(errors))[:3])


# -- profiling --------------------------------------------------------------------------------

def start_profiler(stack: Stack, out: Path, duration: float) -> subprocess.Popen[bytes]:
    """py-spy over the gunicorn workers during the window (sampling without stopping them; it
    runs on the driver's core). Its CPU does not count: it is not in the server's process tree."""
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    assert stack.proc is not None
    return subprocess.Popen([spy, "record", "--pid", str(stack.proc.pid), "--subprocesses",
                             "--nonblocking", "--rate", "250", "--duration",
                             str(max(1, int(duration))), "--format", "raw", "--output",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarize_profile(path: Path, top: int = 25) -> str:
    """Inclusive and self share of samples per function, from py-spy's collapsed stacks."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text:
            continue
        count = int(count_text)
        frames = [f for f in stack_text.split(";") if not f.startswith("process ")]
        total += count
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + count
        for f in set(frames):
            inclusive[f] = inclusive.get(f, 0) + count
    if not total:
        return "no samples"
    lines = [f"{total} samples; inclusive share (top {top}):"]
    for f, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * n / total:5.1f}%  {f}")
    lines.append(f"self share (top {top}):")
    for f, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * n / total:5.1f}%  {f}")
    return "\n".join(lines)


# -- set-up -----------------------------------------------------------------------------------

def platform_key() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
    return key, {"keys": [jwk]}


def flask_cli(src: Path, env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(BIN / "flask"), "--app", "lti_tool", *args], cwd=src,
                         env={**os.environ, **env}, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout.strip()


def source_tree(workdir: Path, ref: str | None, src: Path | None = None) -> Path:
    """The tool's source: this work tree, a clean export of a git revision (others may be
    editing the work tree while the benchmark runs), or another copy of the tree."""
    if src is not None:
        return src.resolve()
    if not ref:
        return ROOT
    dest = workdir / "src"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def our_tool(src: Path, db_url: str, store_pids: Callable[[], list[int]],
             platform_: MockPlatform) -> Stack:
    env = {"LTI_TOOL_SECRET_KEY": secrets.token_urlsafe(48), "LTI_TOOL_DATABASE_URL": db_url,
           "LTI_TOOL_ENV": "production", "LTI_TOOL_BASE_URL": "http://127.0.0.1:5000",
           "PYTHONPATH": str(src)}
    flask_cli(src, env, "db", "upgrade")
    flask_cli(src, env, "lti", "register", "--issuer", platform_.url, "--client-id",
              ISSUER_CLIENT_ID, "--auth-login-url", platform_.url + "/auth",
              "--auth-token-url", platform_.url + "/token", "--key-set-url",
              platform_.url + "/jwks", "--deployment-id", DEPLOYMENT_ID, "--name",
              "Benchmark LMS")

    def forget_key_set() -> None:
        import psycopg

        with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://", 1)) as c:
            c.execute("DELETE FROM lti_platform_key_set")

    return Stack(key="tool", label="lti_tool", login_path="/lti/login",
                 launch_path="/lti/launch", app="lti_tool:create_app()", env=env, chdir=src,
                 store_label="PostgreSQL", store_pids=store_pids, before_start=forget_key_set)


def baseline(workdir: Path, platform_: MockPlatform, cache_url: str, store_label: str,
             store_pids: Callable[[], list[int]], tuned: bool) -> Stack:
    conf_dir = workdir / "baseline"
    conf_dir.mkdir(exist_ok=True)
    tool_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (conf_dir / "private.key").write_bytes(tool_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (conf_dir / "public.key").write_bytes(tool_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (conf_dir / "game.json").write_text(json.dumps({platform_.url: [{
        "default": True, "client_id": ISSUER_CLIENT_ID,
        "auth_login_url": platform_.url + "/auth", "auth_token_url": platform_.url + "/token",
        "auth_audience": None, "key_set_url": platform_.url + "/jwks", "key_set": None,
        "private_key_file": "private.key", "public_key_file": "public.key",
        "deployment_ids": [DEPLOYMENT_ID]}]}, indent=2))
    env = {"BASELINE_LTI_CONFIG": str(conf_dir / "game.json"), "BASELINE_CACHE_URL": cache_url,
           "BASELINE_SECRET_KEY": secrets.token_urlsafe(32),
           "BASELINE_TUNED": "1" if tuned else "0"}
    return Stack(key="tuned" if tuned else "baseline",
                 label="pylti1p3 tuned" if tuned else "pylti1p3 example",
                 login_path="/login/", launch_path="/launch/",
                 app="baseline_pylti1p3:create_app()", env=env, chdir=HERE,
                 store_label=store_label, store_pids=store_pids)


def versions(pg: str, redis: str) -> str:
    names = ["flask", "gunicorn", "pylti1p3", "pyjwt", "cryptography", "jwcrypto", "sqlalchemy",
             "psycopg", "requests", "flask-caching", "redis"]
    parts = [f"python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(parts + [pg, redis])


def describe_source(ref: str | None) -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True,
                              text=True).stdout.strip()
    if ref:
        return f"git {ref} = {git('rev-parse', '--short', ref)} (clean export)"
    dirty = " with uncommitted changes" if git("status", "--porcelain", "lti_tool") else ""
    return f"work tree at {git('rev-parse', '--short', 'HEAD')}{dirty}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# -- report -----------------------------------------------------------------------------------

def table(cells: list[Cell]) -> str:
    head = ("| stack | key set | conc | launches/s | p50 ms | p95 ms | tool CPU ms | "
            "store CPU ms | total CPU ms/launch | errors | JWKS fetches (window / warm-up) | "
            "driver core | server core busy (others) |")
    rows = [head, "|" + "---|" * 13]
    for c in cells:
        rows.append(
            f"| {c.stack} | {c.keyset} | {c.concurrency} | {c.launches_per_s:.0f} | "
            f"{c.p50_ms:.1f} | {c.p95_ms:.1f} | {c.tool_cpu_ms:.2f} | {c.store_cpu_ms:.2f} | "
            f"**{c.total_cpu_ms:.2f}** | {c.errors} | {c.jwks_fetches} / "
            f"{c.jwks_fetches_warmup} | {c.driver_busy * 100:.0f}% | "
            f"{c.server_core_busy * 100:.0f}% ({c.foreign_load * 100:.0f}%) |")
    return "\n".join(rows)


def verdicts(cells: list[Cell]) -> list[tuple[bool, str]]:
    ours = [c for c in cells if c.stack == "lti_tool"]
    out: list[tuple[bool, str]] = []
    if not ours:
        return out
    worst = max(c.total_cpu_ms for c in ours)
    out.append((worst < TARGET_CPU_MS,
                f"server CPU per launch under {TARGET_CPU_MS} ms (tool + database): worst cell "
                f"{worst:.2f} ms"))
    fetches = sum(c.jwks_fetches for c in ours)
    out.append((fetches == 0, f"no blocking network call while handling a launch: {fetches} key "
                              "set fetches in the measured windows"))
    for conc in sorted({c.concurrency for c in ours}):
        fast = [c for c in ours if c.concurrency == conc and c.keyset == "loopback"]
        slow = [c for c in ours if c.concurrency == conc and c.keyset != "loopback"]
        if fast and slow:
            f, s_ = fast[0], slow[0]
            ratio = s_.launches_per_s / f.launches_per_s
            text = (f"throughput unchanged with a slow key set, concurrency {conc}: "
                    f"{s_.launches_per_s:.0f}/s vs {f.launches_per_s:.0f}/s ({ratio:.0%})")
            if max(f.foreign_load, s_.foreign_load) > 0.05:
                # Other processes took part of the server core: compare launches per second of
                # the core share that was left to us (the server core is saturated here).
                norm_f = f.launches_per_s / max(0.05, 1 - f.foreign_load)
                norm_s = s_.launches_per_s / max(0.05, 1 - s_.foreign_load)
                ratio = norm_s / norm_f
                text += (f"; per free share of the server core (others used "
                         f"{s_.foreign_load:.0%} / {f.foreign_load:.0%}): {norm_s:.0f}/s vs "
                         f"{norm_f:.0f}/s ({ratio:.0%})")
            out.append((ratio >= 0.85, text))
    errors = sum(c.errors for c in cells)
    out.append((errors == 0, f"no failed launches: {errors}"))
    return out


# -- main -------------------------------------------------------------------------------------

def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds per cell")
    ap.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per cell")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--skip-baseline", action="store_true", help="only our tool")
    ap.add_argument("--skip-tuned", action="store_true", help="no tuned pylti1p3 variant")
    ap.add_argument("--keysets", nargs="+", choices=["loopback", "slow"],
                    default=["loopback", "slow"])
    ap.add_argument("--synchronous-commit", action="store_true",
                    help="run the throwaway PostgreSQL with synchronous_commit=on "
                         "(default off; fsync stays on)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--profile", type=Path, help="profile our tool's workers with py-spy in "
                    "its first cell and write the collapsed stacks here (plus a summary)")
    ap.add_argument("--ref", help="benchmark the tool as committed at this git revision "
                    "(e.g. HEAD) instead of the work tree")
    ap.add_argument("--src", type=Path, help="benchmark the tool from this copy of the "
                    "repository (to try a change without touching the work tree)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args()
    global SERVER_CORE

    if not args.skip_baseline:
        missing = [m for m in ("flask_caching", "redis") if not _importable(m)]
        if missing:
            print(f"the baseline needs {', '.join(missing)}: .venv/bin/pip install -r "
                  "benchmarks/launch/requirements.txt (or run with --skip-baseline)")
            return 2
    if not shutil.which("taskset"):
        print("warning: no taskset: nothing is pinned")

    cores = os.cpu_count() or 1
    if cores >= 2:
        os.sched_setaffinity(0, {DRIVER_CORE})
    else:
        print("warning: one core only, nothing is pinned: the driver competes with the servers")
        SERVER_CORE = None  # type: ignore[assignment]

    workdir = Path(tempfile.mkdtemp(prefix="lti_launch_bench."))
    os.chmod(workdir, 0o755)
    pg: PgCluster | None = None
    redis: RedisServer | None = None
    platform_: MockPlatform | None = None
    stacks: list[Stack] = []
    cells: list[Cell] = []
    try:
        key, jwks = platform_key()
        platform_ = MockPlatform(workdir, jwks)
        external = os.environ.get("LTI_TOOL_BENCH_DATABASE_URL")
        if external:
            db_url, pg_version = external, "PostgreSQL (external: LTI_TOOL_BENCH_DATABASE_URL)"
            db_pids: Callable[[], list[int]] = postgres_roots
        else:
            pg = PgCluster(workdir, args.synchronous_commit)
            pg.start()
            db_url, pg_version, db_pids = pg.url, pg.version(), pg.pids
        src = source_tree(workdir, args.ref, args.src)
        stacks.append(our_tool(src, db_url, db_pids, platform_))
        redis_version = ""
        if not args.skip_baseline:
            if shutil.which("redis-server"):
                redis = RedisServer(workdir)
                redis.start()
                cache_url, store_label = f"redis://127.0.0.1:{redis.port}/0", "Redis"
                redis_version = subprocess.run(["redis-server", "--version"],
                                               capture_output=True, text=True).stdout.split()[2]
                redis_version = "redis-server " + redis_version.removeprefix("v=")
                store_pids: Callable[[], list[int]] = redis.pids
            else:
                cache_dir = workdir / "cache"
                cache_dir.mkdir()
                cache_url, store_label, store_pids = f"file://{cache_dir}", "files", list
            stacks.append(baseline(workdir, platform_, cache_url, store_label, store_pids,
                                   tuned=False))
            if not args.skip_tuned:
                stacks.append(baseline(workdir, platform_, cache_url, store_label, store_pids,
                                       tuned=True))

        print(f"# LTI launch benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"machine: {cores} cores ({cpu_model()}); server side pinned to core "
              f"{SERVER_CORE}, driver and mock platform to core {DRIVER_CORE}")
        print(f"versions: {versions(pg_version, redis_version)}")
        print(f"lti_tool: {args.src.resolve() if args.src else describe_source(args.ref)}")
        print(f"each cell: {args.warmup:g} s warm-up, then {args.duration:g} s measured; "
              f"gunicorn -w 2 -k sync; PostgreSQL synchronous_commit="
              f"{'on' if args.synchronous_commit else 'off'}; baseline store: "
              f"{stacks[-1].store_label if len(stacks) > 1 else '-'}", flush=True)

        launchers = {s.key: Launcher(s, platform_.url, key) for s in stacks}
        profiled = False
        for keyset in args.keysets:
            platform_.set_delay(SLOW_MS if keyset == "slow" else 0)
            label = "loopback" if keyset == "loopback" else f"{SLOW_MS:.0f} ms late"
            for stack in stacks:
                stack.start(workdir)
                try:
                    for conc in args.concurrency:
                        profile = None
                        if args.profile and stack.key == "tool" and not profiled:
                            profile, profiled = args.profile, True
                        cell = run_cell(stack, launchers[stack.key], platform_, label, conc,
                                        args.warmup, args.duration, profile)
                        cells.append(cell)
                        print(f"  {cell.stack:17} {label:11} c={conc:<3} "
                              f"{cell.launches_per_s:6.0f}/s  p50 {cell.p50_ms:6.1f} ms  "
                              f"p95 {cell.p95_ms:6.1f} ms  CPU {cell.tool_cpu_ms:.2f} + "
                              f"{cell.store_cpu_ms:.2f} = {cell.total_cpu_ms:.2f} ms  "
                              f"errors {cell.errors}  JWKS {cell.jwks_fetches}/"
                              f"{cell.jwks_fetches_warmup}  driver {cell.driver_busy:.0%}  "
                              f"core0 {cell.server_core_busy:.0%} (others "
                              f"{cell.foreign_load:.0%})"
                              + (f"  e.g. {cell.error_samples[0]}" if cell.error_samples
                                 else ""), flush=True)
                finally:
                    stack.stop()

        print()
        print(table(cells))
        print()
        print("Reference (the issue, same kind of machine): server CPU per launch, launches/s, "
              "launches/s with the key set 50 ms late")
        for name, cpu, rate, slow in REFERENCE:
            print(f"  {name:32} {cpu:5.2f} ms  {rate:>4}/s  {slow:>4}/s")
        if args.profile and args.profile.exists():
            print()
            print(f"Profile of lti_tool's workers (first cell; py-spy, {args.profile}):")
            print(summarize_profile(args.profile))
        print()
        results = verdicts(cells)
        for ok, text in results:
            print(f"{'PASS' if ok else 'MISS'}  {text}")
        if any(c.foreign_load > 0.05 for c in cells):
            print("note: other processes on this machine used the server core during some "
                  "windows (last column): launches/s and latency there are understated; CPU "
                  "per launch counts only our processes, so it is the robust figure")
        if any(c.driver_busy > 0.85 for c in cells):
            print("note: the driver's core was over 85% busy in some cell: its figures may be "
                  "bounded by the driver, not the server")
        if args.json:
            args.json.write_text(json.dumps({
                "cores": cores, "cpu": cpu_model(),
                "versions": versions(pg_version, redis_version),
                "cells": [{**c.__dict__, "total_cpu_ms": c.total_cpu_ms} for c in cells],
                "verdicts": [{"ok": ok, "text": text} for ok, text in results]}, indent=2))
        return 1 if args.strict and not all(ok for ok, _t in results) else 0
    finally:
        for stack in stacks:
            stack.stop()
        if redis:
            redis.stop()
        if platform_:
            platform_.stop()
        if pg:
            pg.stop()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
