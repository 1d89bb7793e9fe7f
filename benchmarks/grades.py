"""Grade delivery benchmark: 10,000 scores from the outbox to a local platform endpoint, with 1
and with 4 worker processes (`flask --app lti_tool grades worker`) on PostgreSQL.

    .venv/bin/python benchmarks/grades.py [--scores 10000] [--workers 1 4] [--batch-size 50]
                                          [--platform-delay-ms 0] [--durable]

Set-up: a throwaway PostgreSQL cluster (as bin/test starts one; fsync and synchronous_commit
off unless --durable) or the database at LTI_TOOL_BENCH_DATABASE_URL; a minimal AGS platform
in a separate process (token endpoint + `{line item}/scores?type_id=1`, Moodle-style URLs),
which counts every POST per (line item, user) so duplicates would show; 100 learners × 100
line items = 10,000 outbox rows, written with a bulk INSERT (the handler's cost is measured by
the tests, not here).

Measurement: the workers are started first with every row not yet due, so interpreter start,
imports, content loading and app creation are outside the window; when they are idle the rows
are made due with one UPDATE and the clock starts; it stops when the last row is `sent`.
"tool CPU" is utime+stime of the worker processes (/proc/<pid>/stat) over that window;
"db CPU" the same for every postgres process of the throwaway cluster. The machine has 2 cores
shared by the workers, PostgreSQL, the platform and this script.

Results (2026-11-22, 2 vCPUs shared with other jobs, load average 1-2; PostgreSQL 15, Python
3.11; every run: 10,000 posts, 0 duplicates, rows spread evenly over the workers):

    PostgreSQL   platform  workers  scores/s  tool CPU ms/score  db CPU ms/score
    fsync off    0 ms            1       175               2.52             1.74
    fsync off    0 ms            4       386               2.62             1.32
    fsync off    20 ms           1        36               3.73             1.57
    fsync off    20 ms           4       112               4.42             1.52
    durable      0 ms            1       155               2.94             2.10
    durable      0 ms            4       216               3.15             1.76

Repeat runs vary by ±30% with the other jobs on the machine (a rerun after the proxy-lookup
change in lti/advantage.py, at load average 2-5: 171 and 268 scores/s, 2.64 and 2.72 ms of
tool CPU per score). One worker is latency-bound (POST, then UPDATE + COMMIT of the result, one
row at a time);
four overlap their waits. Per score the tool spends ~2.5 ms of CPU: about half in requests/
urllib3 (one keep-alive POST), half in SQLAlchemy/psycopg (the result's UPDATE and COMMIT; the
claim, the batch read and the newer-score checks are per batch of 50). Against a remote LMS
(20 ms per answer) throughput is bounded by workers × 1/latency, so run more workers, not
bigger batches. An earlier version that re-read each row, checked newer scores per row and
scanned every pending row to supersede older ones ran at 16-70 scores/s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TICK = os.sysconf("SC_CLK_TCK")
SECRET = "benchmark-secret-" + "x" * 32


# -- a minimal platform (runs in its own process: `grades.py --serve-platform PORT`) ----------

class _Platform(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the workers' requests.Session expects
    posts: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()
    delay = 0.0

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK
        # add 40 ms to every answer (the benchmark would measure the kernel, not the tool).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        if path == "/token":
            self._answer(200, {"access_token": "bench-token", "token_type": "Bearer",
                               "expires_in": 3600})
            return
        if not path.endswith("/scores") or query != "type_id=1":
            self._answer(400, {"error": "bad URL " + self.path})
            return
        if self.headers.get("Authorization") != "Bearer bench-token":
            self._answer(401, {"error": "token"})
            return
        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
            self._answer(415, {"error": "media type"})
            return
        score = json.loads(body)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.posts[(path, score["userId"])] += 1
        self._answer(200)

    def do_GET(self) -> None:  # noqa: N802
        with self.lock:
            counts = list(self.posts.values())
        self._answer(200, {"posts": sum(counts), "unique": len(counts),
                           "duplicates": sum(c - 1 for c in counts)})

    def do_DELETE(self) -> None:  # noqa: N802
        with self.lock:
            self.posts.clear()
        self._answer(200)


def serve_platform(port: int, delay_ms: float) -> None:
    _Platform.delay = delay_ms / 1000
    ThreadingHTTPServer(("127.0.0.1", port), _Platform).serve_forever()


# -- helpers ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def postgres_pids(data_dir: Path | None) -> list[int]:
    if data_dir is None:
        return []
    try:
        master = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError):
        return []
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(entry.name))
    return pids


def http(method: str, url: str) -> dict[str, Any]:
    import requests

    return dict(requests.request(method, url, timeout=10).json())


class ThrowawayPostgres:
    """A PostgreSQL cluster on 127.0.0.1, as bin/test starts one (as `ltitest` when root)."""

    def __init__(self, durable: bool):
        self.pgbin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                                 key=lambda p: int(p.parent.name))[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="lti_tool_bench_pg."))
        self.port = free_port()
        self.durable = durable
        self.as_user: list[str] = []

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        if os.getuid() == 0:
            if subprocess.run(["id", "ltitest"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                "/usr/sbin/nologin", "ltitest"], check=True)
            shutil.chown(self.dir, "ltitest")
            self.as_user = ["runuser", "-u", "ltitest", "--"]
        self._run(str(self.pgbin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8")
        flags = "" if self.durable else (" -c fsync=off -c synchronous_commit=off"
                                         " -c full_page_writes=off")
        self._run(str(self.pgbin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
                  f" -c max_connections=100{flags}", "start")
        self._run(str(self.pgbin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", "bench")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/bench"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.pgbin / "pg_ctl"), "-D", str(self.data_dir),
                        "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the benchmark ------------------------------------------------------------------------------

def environ(db_url: str) -> dict[str, str]:
    return {"LTI_TOOL_SECRET_KEY": SECRET, "LTI_TOOL_DATABASE_URL": db_url,
            "LTI_TOOL_ENV": "production", "LTI_TOOL_BASE_URL": "http://127.0.0.1:5000"}


def prepare(app: Any, platform_url: str, scores: int) -> None:
    """Schema, one course on the platform, 100 learners × N/100 line items, N outbox rows."""
    from sqlalchemy import insert, text

    from lti_tool.db import db, utcnow
    from lti_tool.grades.models import ScoreOutbox
    from lti_tool.lti.advantage import SCOPE_LINEITEM, SCOPE_SCORE
    from lti_tool.lti.models import Context, User
    from lti_tool.lti.services import register_platform

    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.create_all()
        app.extensions["lti_tool.keys"].ensure_keys("lti")
        reg = register_platform(issuer=platform_url, client_id="bench",
                                auth_login_url=platform_url + "/auth",
                                auth_token_url=platform_url + "/token",
                                key_set_url=platform_url + "/jwks", deployment_ids=["1"])
        ctx = Context(deployment_id=reg.deployments[0].id, context_id="bench-course",
                      lineitems_url=platform_url + "/ags/1/lineitems?type_id=1",
                      ags_scopes=f"{SCOPE_LINEITEM} {SCOPE_SCORE}", created_at=utcnow())
        db.session.add(ctx)
        users = [User(registration_id=reg.id, sub=f"learner-{i}", created_at=utcnow())
                 for i in range(100)]
        db.session.add_all(users)
        db.session.flush()
        far = utcnow().replace(year=2100)
        now = utcnow()
        rows = []
        for n in range(scores):
            user, item = users[n % 100], n // 100
            url = f"{platform_url}/ags/1/lineitems/{item}/lineitem?type_id=1"
            rows.append({"context_id": ctx.id, "user_id": user.id, "registration_id": reg.id,
                         "module_slug": f"module-{item}", "content_version": 1, "target": url,
                         "lineitem_url": url, "scopes": ctx.ags_scopes, "user_sub": user.sub,
                         "score_given": 80.0, "score_maximum": 100.0,
                         "activity_progress": "Completed", "grading_progress": "FullyGraded",
                         "scored_at": now, "status": "pending", "attempts": 0,
                         "next_attempt_at": far, "created_at": now})
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(ScoreOutbox), rows[start:start + 2000])
        db.session.commit()


def reset_rows(app: Any) -> None:
    from lti_tool.db import db, utcnow
    from lti_tool.grades.models import ScoreOutbox

    with app.app_context():
        db.session.execute(db.update(ScoreOutbox).values(
            status="pending", attempts=0, claimed_until=None, claim_token=None, sent_at=None,
            last_status=None, last_error=None, next_attempt_at=utcnow().replace(year=2100)))
        db.session.commit()


def count(app: Any, status: str) -> int:
    from lti_tool.db import db
    from lti_tool.grades.models import ScoreOutbox

    with app.app_context():
        n = db.session.scalar(db.select(db.func.count()).select_from(ScoreOutbox)
                              .where(ScoreOutbox.status == status))
        db.session.remove()
        return int(n or 0)


def run(app: Any, db_url: str, workers: int, batch: int, scores: int, platform_url: str,
        pg_dir: Path | None) -> dict[str, Any]:

    reset_rows(app)
    http("DELETE", platform_url + "/stats")
    env = {**os.environ, **environ(db_url)}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "lti_tool", "grades", "worker",
         "--batch-size", str(batch), "--poll-interval", "0.05"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(workers)]
    try:
        return _measure(app, procs, scores, platform_url, pg_dir)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _measure(app: Any, procs: list[subprocess.Popen[str]], scores: int, platform_url: str,
             pg_dir: Path | None) -> dict[str, Any]:
    from lti_tool.db import db, utcnow
    from lti_tool.grades.models import ScoreOutbox

    workers = len(procs)
    pids = [p.pid for p in procs]
    outputs: list[list[str]] = [[] for _ in procs]
    readers = []
    for p, out in zip(procs, outputs, strict=True):
        # Imports, content and app creation are done when a worker says "started".
        assert p.stdout is not None
        for line in p.stdout:
            out.append(line)
            if "grades worker: started" in line:
                break
        else:
            raise SystemExit("a worker did not start:\n" + "".join(out))
        reader = threading.Thread(target=lambda f=p.stdout, o=out: o.extend(f), daemon=True)
        reader.start()  # keep draining the pipe so a chatty worker never blocks on it
        readers.append(reader)
    time.sleep(0.5)
    tool0, db0 = cpu_seconds(pids), cpu_seconds(postgres_pids(pg_dir))
    started = time.perf_counter()
    with app.app_context():
        db.session.execute(db.update(ScoreOutbox).values(next_attempt_at=utcnow()))
        db.session.commit()
    # Watch the platform's counter (counting rows in the database every few milliseconds
    # would itself cost the database more than the workers do), then confirm in the database.
    while True:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a worker exited early:\n" + "".join(outputs[0]))
        if http("GET", platform_url + "/stats")["posts"] >= scores and \
                count(app, "sent") >= scores:
            break
        time.sleep(0.01)
    wall = time.perf_counter() - started
    tool_cpu = cpu_seconds(pids) - tool0
    db_cpu = cpu_seconds(postgres_pids(pg_dir)) - db0
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p, reader in zip(procs, readers, strict=True):
        p.wait(timeout=30)
        reader.join(timeout=10)
    texts = ["".join(o) for o in outputs]
    stats = http("GET", platform_url + "/stats")
    claimed = [int(t.split("claimed ")[1].split(",")[0]) for t in texts if "claimed " in t]
    return {"workers": workers, "scores": scores, "wall_s": wall, "per_s": scores / wall,
            "tool_cpu_ms_per_score": tool_cpu * 1000 / scores,
            "db_cpu_ms_per_score": db_cpu * 1000 / scores if pg_dir else None,
            "posts": stats["posts"], "duplicates": stats["duplicates"],
            "claimed_per_worker": claimed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--platform-delay-ms", type=float, default=0.0,
                        help="answer every score this late (a remote LMS)")
    parser.add_argument("--durable", action="store_true",
                        help="PostgreSQL with fsync and synchronous_commit on")
    parser.add_argument("--serve-platform", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_platform:
        serve_platform(args.serve_platform, args.platform_delay_ms)
        return
    # SIGTERM (e.g. a timeout) still runs the clean-up below: workers, platform, cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.scores % 100:
        parser.error("--scores must be a multiple of 100 (100 learners × line items)")

    pg: ThrowawayPostgres | None = None
    db_url = os.environ.get("LTI_TOOL_BENCH_DATABASE_URL")
    if not db_url:
        pg = ThrowawayPostgres(args.durable)
        db_url = pg.start()
    port = free_port()
    platform = subprocess.Popen([sys.executable, __file__, "--serve-platform", str(port),
                                 "--platform-delay-ms", str(args.platform_delay_ms)])
    platform_url = f"http://127.0.0.1:{port}"
    try:
        import requests

        for _ in range(100):
            try:
                requests.get(platform_url + "/stats", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        from lti_tool import create_app

        app = create_app({"ENVIRON": environ(db_url)})
        prepare(app, platform_url, args.scores)
        print(f"# {args.scores} scores, batch {args.batch_size}, platform delay "
              f"{args.platform_delay_ms:g} ms, PostgreSQL "
              f"{'durable' if args.durable else 'fsync off'}"
              f"{' (throwaway cluster)' if pg else ''}, {os.cpu_count()} cores")
        print(f"{'workers':>7} {'scores/s':>9} {'wall s':>7} {'tool CPU ms/score':>18} "
              f"{'db CPU ms/score':>16} {'posts':>6} {'dupes':>5}  claimed per worker")
        for n in args.workers:
            r = run(app, db_url, n, args.batch_size, args.scores, platform_url,
                    pg.data_dir if pg else None)
            db_cpu = f"{r['db_cpu_ms_per_score']:.2f}" if r["db_cpu_ms_per_score"] else "n/a"
            print(f"{n:>7} {r['per_s']:>9.0f} {r['wall_s']:>7.2f} "
                  f"{r['tool_cpu_ms_per_score']:>18.2f} {db_cpu:>16} {r['posts']:>6} "
                  f"{r['duplicates']:>5}  {r['claimed_per_worker']}", flush=True)
            if r["posts"] != args.scores or r["duplicates"]:
                raise SystemExit("every score must be posted exactly once")
    finally:
        platform.terminate()
        platform.wait(timeout=10)
        if pg:
            pg.stop()


if __name__ == "__main__":
    main()
