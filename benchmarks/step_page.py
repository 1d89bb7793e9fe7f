"""Step page benchmark: server time of GET /modules/<slug>/steps/<step> with 10,000 learners'
progress in PostgreSQL, against the same page with the module's content parsed per request.

    .venv/bin/python benchmarks/step_page.py [--learners 10000] [--requests 1000] [--seed 7]

The database is LTI_TOOL_BENCH_DATABASE_URL when set (its tables are dropped and rebuilt), else a
throwaway PostgreSQL cluster on 127.0.0.1 (initdb'd as the unprivileged user `ltitest` through
runuser when run as root, as bin/test does) that is removed afterwards.

Seeding (bulk COPY): 20 courses of 500 learners; half of them in 2,500 active pairs. Each
learner started a random share of the 20 modules (0-20, median 8; mentees lean to D-modules,
mentors to M-modules): started modules are usually finished, otherwise a prefix of their steps
is done. Rows follow the real flow: a completion per done step, 1-3 quiz attempts per quiz, a
reflection (a third shared), a self-assessment, pair confirmations, a module completion when all
steps are done.

Measured: `--requests` GET step pages (after 100 warm-up requests), each for a random learner
and a random module at the step they would open next (so every kind of step shows up: lessons,
quiz forms and results, reflections, self-assessments, pair activities), through the Flask test
client. Server time is taken by a WSGI middleware around the app: launch-token check, queries,
template rendering, the whole response body. `parse per request` is the same page, same
learners, with the view's library replaced by `load_library()` of a folder holding only that
module (YAML parsing, validation, Markdown rendering on every request): the design this tool
avoids by loading content once at start-up.

Last run (seed 7; 2 cores shared with other jobs, load average ≈ 5; PostgreSQL 15; 303,271
step completions, 87,306 quiz attempts, 45,747 pair confirmations …; 1,000 requests; one SQL
statement for a lesson, two for a pair activity or a step already done, plus the pre-ping):
                      loaded once   parse per request   (server time, ms)
  p50                        6.44               51.56
  p95                       13.67              105.30
  p99                       18.86              230.85
  p95 by kind: lesson 11.7 · pair activity 15.5 · quiz 12.9 · reflection 13.4 ·
  self-assessment 13.6 (parse per request: 95–115). An earlier run at load ≈ 4: p95 12.84.
  Of the ~6 ms at p50, about half is waiting on PostgreSQL round trips (the engine's
  pool_pre_ping, the query, the rollback at the end of the request), the rest Jinja and
  url_for. App start-up, where all 20 modules are parsed and validated once: 2–4 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COURSES = 20
WARMUP = 100


# -- a throwaway PostgreSQL cluster -------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """initdb + pg_ctl in a temporary folder, as an unprivileged user when we are root."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
        if not bins:
            sys.exit("PostgreSQL is not installed (apt-get install postgresql), or set "
                     "LTI_TOOL_BENCH_DATABASE_URL to a database the benchmark may wipe.")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="lti_tool_bench_pg."))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.getuid() == 0:
            if subprocess.run(["id", "ltitest"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                "/usr/sbin/nologin", "ltitest"], check=True)
            shutil.chown(self.dir, "ltitest")
            self.as_user = ["runuser", "-u", "ltitest", "--"]
        self.started = False

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8")
        # Durability off only speeds up seeding; reads (what we measure) are unaffected.
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "log"), "-w", "-o", opts, "start")
        self.started = True
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", "lti_tool_bench")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/lti_tool_bench"

    def version(self) -> str:
        out = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True,
                             text=True)
        return out.stdout.strip()

    def stop(self) -> None:
        if self.started:
            subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D",
                            str(self.dir / "data"), "-m", "immediate", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


# -- seeding ------------------------------------------------------------------------------------

def _copy(conn: Any, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
          ) -> int:
    n = 0
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    return n


def seed(app: Any, learners: int, rng: random.Random) -> dict[str, Any]:
    """Courses, learners, pairs and their progress; returns what the measurement needs."""
    from lti_tool.db import db
    from lti_tool.lti.models import Context
    from lti_tool.lti.services import register_platform
    from lti_tool.modules import get_library

    library = get_library(app)
    modules = list(library)
    now = datetime.now(UTC)
    with app.app_context():
        reg = register_platform(issuer="https://lms.bench.example", client_id="bench",
                                auth_login_url="https://lms.bench.example/auth",
                                auth_token_url="https://lms.bench.example/token",
                                key_set_url="https://lms.bench.example/jwks",
                                deployment_ids=["bench-deployment"])
        dep = reg.deployments[0]
        courses = []
        for i in range(COURSES):
            ctx = Context(deployment_id=dep.id, context_id=f"course-{i}", title=f"Course {i}")
            db.session.add(ctx)
            db.session.flush()
            courses.append(ctx.id)
        db.session.commit()
        registration_id, deployment_pk = reg.id, dep.id
        raw = db.engine.raw_connection()
        conn = raw.driver_connection
        counts: dict[str, int] = {}
        try:
            people = [(i + 1, courses[i % COURSES]) for i in range(learners)]
            counts["lti_user"] = _copy(conn, "lti_user", (
                "id", "registration_id", "sub", "name", "email", "locale", "created_at"),
                ((uid, registration_id, f"learner-{uid}", f"Learner {uid}",
                  f"l{uid}@example.org", rng.choice(["en", "it", "pt"]), now)
                 for uid, _ in people))
            counts["lti_membership"] = _copy(conn, "lti_membership", (
                "context_id", "user_id", "role", "lti_roles", "source", "first_launch_at"),
                ((ctx, uid, "learner", "", "launch", now) for uid, ctx in people))
            # Half of each course in pairs: mentor = odd position, mentee = the next one.
            pairs, side, partner_pair = [], {}, {}
            by_course: dict[int, list[int]] = {}
            for uid, ctx in people:
                by_course.setdefault(ctx, []).append(uid)
            pid = 0
            for ctx, uids in by_course.items():
                paired = uids[: len(uids) // 2]
                for a, b in zip(paired[::2], paired[1::2], strict=False):
                    pid += 1
                    pairs.append((pid, ctx, a, b, "active", now, now, now, now))
                    side[a], side[b] = "mentor", "mentee"
                    partner_pair[a] = partner_pair[b] = pid
            counts["pairs_pair"] = _copy(conn, "pairs_pair", (
                "id", "context_id", "mentor_id", "mentee_id", "status", "proposed_at",
                "mentor_accepted_at", "mentee_accepted_at", "formed_at"), pairs)
            for table in ("lti_user", "pairs_pair"):
                with conn.cursor() as cur:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))")
            rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in (
                "steps", "attempts", "modules", "reflections", "confirmations", "assessments")}
            targets = []
            for uid, ctx in people:
                role = side.get(uid, rng.choice(["mentor", "mentee", None]))
                k = min(len(modules), max(0, int(rng.gauss(8, 5))))
                weights = [3 if m.audience == role else (2 if m.audience == "both" else 1)
                           for m in modules]
                chosen = _weighted_sample(rng, modules, weights, k)
                for module in chosen:
                    total = len(module.steps)
                    done = total if rng.random() < 0.6 else rng.randrange(0, total)
                    at = now - timedelta(days=rng.randrange(1, 120))
                    _progress_rows(rows, uid, ctx, module, done, at, partner_pair.get(uid), rng)
                    targets.append((uid, ctx, module.slug))
                # Some requests also go to modules the learner has not opened yet.
                targets.append((uid, ctx, rng.choice(modules).slug))
            a_id = iter(range(1, 10**9))
            counts["progress_step_completion"] = _copy(conn, "progress_step_completion", (
                "user_id", "context_id", "module_slug", "step_id", "kind", "content_version",
                "completed_at"), rows["steps"])
            counts["progress_quiz_attempt"] = _copy(conn, "progress_quiz_attempt", (
                "user_id", "context_id", "module_slug", "step_id", "content_version",
                "submission_key", "answers", "right_answers", "total", "passed",
                "attempted_at"), ((*r[:5], f"seed-{next(a_id)}", *r[5:]) for r in
                                  rows["attempts"]))
            counts["progress_module_completion"] = _copy(conn, "progress_module_completion", (
                "user_id", "context_id", "module_slug", "content_version", "score", "passed",
                "completed_at", "updated_at"), rows["modules"])
            counts["progress_reflection"] = _copy(conn, "progress_reflection", (
                "user_id", "context_id", "module_slug", "step_id", "content_version", "text",
                "shared", "created_at", "updated_at"), rows["reflections"])
            counts["progress_pair_confirmation"] = _copy(conn, "progress_pair_confirmation", (
                "pair_id", "user_id", "context_id", "module_slug", "step_id",
                "content_version", "confirmed_at"), rows["confirmations"])
            counts["progress_self_assessment"] = _copy(conn, "progress_self_assessment", (
                "user_id", "context_id", "source", "module_slug", "step_id", "content_version",
                "ratings", "framework", "recorded_at"), rows["assessments"])
            conn.commit()
            with conn.cursor() as cur:
                cur.execute("ANALYZE")
            conn.commit()
        finally:
            raw.close()
    return {"counts": counts, "targets": targets, "registration_id": registration_id,
            "deployment_pk": deployment_pk}


def _weighted_sample(rng: random.Random, items: list[Any], weights: list[int], k: int
                     ) -> list[Any]:
    pool, w, out = list(items), list(weights), []
    for _ in range(min(k, len(pool))):
        i = rng.choices(range(len(pool)), weights=w)[0]
        out.append(pool.pop(i))
        w.pop(i)
    return out


def _progress_rows(rows: dict[str, list[tuple[Any, ...]]], uid: int, ctx: int, module: Any,
                   done: int, at: datetime, pair_id: int | None, rng: random.Random) -> None:
    """The rows the tool writes for a learner who went through the first `done` steps."""
    version, complete, score = module.version, True, None
    for i, step in enumerate(module.steps[:done]):
        when = at + timedelta(minutes=i)
        if step.kind == "pair-activity":
            # Without a pair it is "done on my own": noted, never completed.
            rows["confirmations"].append((pair_id, uid, ctx, module.slug, step.id, version,
                                          when))
            if pair_id is None:
                complete = False
                continue
        rows["steps"].append((uid, ctx, module.slug, step.id, step.kind, version, when))
        if step.kind == "quiz":
            best = 0
            for _attempt in range(rng.choice([1, 1, 1, 2, 3])):
                answers = {q.id: [rng.choice(q.options).id] for q in step.questions}
                right = sum(set(answers[q.id]) == q.correct_ids for q in step.questions)
                best = max(best, right)
                rows["attempts"].append((uid, ctx, module.slug, step.id, version,
                                         json.dumps(answers), right, len(step.questions),
                                         right >= step.pass_mark, when))
            score = (best / len(step.questions), best >= step.pass_mark)
        elif step.kind == "reflection":
            rows["reflections"].append((uid, ctx, module.slug, step.id, version,
                                        "I noticed that I " + "often " * rng.randrange(1, 30)
                                        + "jump to advice.", rng.random() < 0.33, when, when))
        elif step.kind == "self-assessment":
            rows["assessments"].append((uid, ctx, module.slug, module.slug, step.id, version,
                                        json.dumps({c: rng.randint(1, 5)
                                                    for c in step.competences}), "2.2", when))
    if complete and done == len(module.steps) and score is not None:
        finished = at + timedelta(minutes=30)
        rows["modules"].append((uid, ctx, module.slug, version, score[0], score[1], finished,
                                finished))


# -- measuring ----------------------------------------------------------------------------------

class ServerTimer:
    """WSGI middleware: time from the request reaching Flask to the last byte of the body."""

    def __init__(self, wsgi: Callable[..., Any]) -> None:
        self.wsgi = wsgi
        self.samples: list[float] = []
        self.on = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        t0 = time.perf_counter()
        body = b"".join(self.wsgi(environ, start_response))
        if self.on:
            self.samples.append(time.perf_counter() - t0)
        return [body]


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "mean": statistics.fmean(ms),
            "max": ms[-1]}


@contextmanager
def parse_per_request(app: Any, content_dir: Path) -> Iterator[None]:
    """The baseline: the view loads (parses, validates, renders) the module on every request."""
    from flask import request

    from lti_tool.modules import load_library
    from lti_tool.progress import views

    single = Path(tempfile.mkdtemp(prefix="lti_tool_bench_content."))
    for module_dir in (content_dir / "modules").iterdir():
        (single / module_dir.name / "modules").mkdir(parents=True)
        (single / module_dir.name / "modules" / module_dir.name).symlink_to(module_dir)
    original = views.get_library

    def per_request() -> Any:
        slug = (request.view_args or {}).get("slug", "")
        return load_library(single / slug)

    views.get_library = per_request  # type: ignore[assignment]
    try:
        yield
    finally:
        views.get_library = original  # type: ignore[assignment]
        shutil.rmtree(single, ignore_errors=True)


def measure(app: Any, timer: ServerTimer, requests: list[tuple[str, dict[str, str]]]
            ) -> tuple[list[float], list[float], dict[int, int]]:
    client = app.test_client()
    statuses: dict[int, int] = {}
    wall: list[float] = []
    timer.samples.clear()
    timer.on = False
    for url, query in requests[:WARMUP]:
        client.get(url, query_string=query)
    timer.on = True
    for url, query in requests[WARMUP:]:
        t0 = time.perf_counter()
        resp = client.get(url, query_string=query)
        wall.append(time.perf_counter() - t0)
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
    timer.on = False
    return list(timer.samples), wall, statuses


def build_requests(app: Any, seeded: dict[str, Any], n: int, rng: random.Random
                   ) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """Step URLs where each chosen learner would continue (every kind of step appears)."""
    from lti_tool.lti.session import Actor
    from lti_tool.modules import get_library
    from lti_tool.progress import queries

    library = get_library(app)
    tokens = app.extensions["lti_tool.tokens"]
    out, kinds = [], []
    with app.app_context():
        for uid, ctx, slug in rng.sample(seeded["targets"], n + WARMUP):
            module = library.get(slug)
            state = queries.module_progress(uid, ctx, module).next_step
            kinds.append(state.step.kind)
            token = tokens.issue(Actor(uid, ctx, seeded["deployment_pk"],
                                       seeded["registration_id"], "learner",
                                       rng.choice(["en", "it", "pt"])))
            out.append((f"/modules/{slug}/steps/{state.step.id}", {"ltik": token}))
    return out, kinds


def count_queries(app: Any, url: str, query: dict[str, str]) -> int:
    from sqlalchemy import event

    from lti_tool.db import db

    seen = []
    with app.app_context():
        engine = db.engine

    def count(*_a: Any, **_k: Any) -> None:
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        app.test_client().get(url, query_string=query)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--learners", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    if args.requests < 500:
        ap.error("--requests must be at least 500 for a meaningful p99")
    rng = random.Random(args.seed)
    url = os.environ.get("LTI_TOOL_BENCH_DATABASE_URL")
    cluster = None if url else Cluster()
    try:
        if cluster is not None:
            url = cluster.start()
        assert url is not None
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        if not url.startswith("postgresql+psycopg://"):
            sys.exit("LTI_TOOL_BENCH_DATABASE_URL must be a PostgreSQL URL")
        run(url, args, rng, cluster.version() if cluster else "PostgreSQL (given)")
    finally:
        if cluster is not None:
            cluster.stop()


def run(url: str, args: argparse.Namespace, rng: random.Random, pg_version: str) -> None:
    import logging

    from lti_tool import create_app
    from lti_tool.db import db

    logging.disable(logging.WARNING)
    content_dir = ROOT / "content"
    t0 = time.perf_counter()
    app = create_app({"ENVIRON": {
        "LTI_TOOL_SECRET_KEY": "bench-secret-" + "x" * 40, "LTI_TOOL_DATABASE_URL": url,
        "LTI_TOOL_ENV": "production", "LTI_TOOL_CONTENT_DIR": str(content_dir)}})
    startup = time.perf_counter() - t0
    with app.app_context():
        db.drop_all()
        db.create_all()
    t0 = time.perf_counter()
    seeded = seed(app, args.learners, rng)
    seeding = time.perf_counter() - t0
    requests, kinds = build_requests(app, seeded, args.requests, rng)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer  # type: ignore[method-assign]
    queries_per_page = count_queries(app, *requests[0])

    loaded_server, loaded_wall, loaded_status = measure(app, timer, requests)
    with parse_per_request(app, content_dir):
        parsed_server, parsed_wall, parsed_status = measure(app, timer, requests)

    a, b = percentiles(loaded_server), percentiles(parsed_server)
    wa, wb = percentiles(loaded_wall), percentiles(parsed_wall)
    print(f"\nStep page benchmark · {platform.python_implementation()} "
          f"{platform.python_version()} · {pg_version} · {os.cpu_count()} CPUs")
    print(f"app start-up (content loaded once): {startup:.2f} s · seeding: {seeding:.1f} s")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in seeded["counts"].items()))
    measured = kinds[WARMUP:]
    by_kind = {k: measured.count(k) for k in sorted(set(measured))}
    print(f"{args.requests} GET step pages after {WARMUP} warm-up: "
          + ", ".join(f"{k} {v}" for k, v in by_kind.items())
          + f" · SQL statements on the first page: {queries_per_page}")
    print(f"statuses: loaded once {loaded_status} · parse per request {parsed_status}\n")
    print(f"{'server time (ms)':<22}{'loaded once':>14}{'parse per request':>20}")
    for key in ("p50", "p95", "p99", "mean", "max"):
        print(f"{key:<22}{a[key]:>14.2f}{b[key]:>20.2f}")
    print(f"{'client wall p95 (ms)':<22}{wa['p95']:>14.2f}{wb['p95']:>20.2f}")
    print("\np95 by kind of step (ms), loaded once / parse per request:")
    for kind in by_kind:
        mine = [t for t, k in zip(loaded_server, measured, strict=True) if k == kind]
        theirs = [t for t, k in zip(parsed_server, measured, strict=True) if k == kind]
        if len(mine) >= 20:
            print(f"  {kind:<18}{percentiles(mine)['p95']:>8.2f}"
                  f"{percentiles(theirs)['p95']:>10.2f}   (n={len(mine)})")
    verdict = "meets" if a["p95"] < 20 else "MISSES"
    print(f"\np95 {a['p95']:.2f} ms {verdict} the 20 ms target; parsing per request is "
          f"{b['p50'] / a['p50']:.1f}× slower at p50.")
    if args.json:
        args.json.write_text(json.dumps({
            "loaded_once": a, "parse_per_request": b, "wall_loaded": wa, "wall_parsed": wb,
            "kinds": by_kind, "rows": seeded["counts"], "statements_per_page": queries_per_page,
            "requests": args.requests, "learners": args.learners}, indent=2))


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, line_buffering=True)
    main()
