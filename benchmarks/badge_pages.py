"""Badge awarding and public pages at scale, on PostgreSQL.

    .venv/bin/python benchmarks/badge_pages.py [--pairs 1000] [--requests 600] [--batch 250]

1. Back-fill: N pairs (default 1,000) whose partners have each reached five milestones
   (pair formed, agreement signed, first session, two-way feedback, steady rhythm) are written
   straight into the pairs tables — no events, so nothing is awarded yet — then
   `flask --app lti_tool badges backfill` runs in this process (the CLI path: rules, status
   positions, eddsa-rdfc-2022 signing, batch inserts, a commit per batch). 1,000 pairs = 10,000
   credentials. Reported: wall time, credentials per second, and the CPU time of this process
   (PostgreSQL runs in its own processes; the Python work is single-threaded, one core).
   Targets (issue 5): at least 150 credentials/s, 10,000 in under 90 s.
2. Public pages: GET /badges/credentials/<id> through the WSGI app (Flask's test client, so the
   time is the server's, with no network), ≥ 500 requests over random awards. First visits of a
   credential check its signature (then cached in-process); repeat visits check only dates and
   the revocation bit (the status list's revision is read on every request). A revocation in
   the middle forces a status-list rebuild. Target: p95 < 30 ms.

Database: a throwaway PostgreSQL cluster on 127.0.0.1 (as bin/test starts one), or the one at
LTI_TOOL_BENCH_DATABASE_URL (emptied first!).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-0123456789-0123456789-0123456789"
BASE_URL = "https://mentoring.example.org"
FORMED = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class ThrowawayPostgres:
    """A PostgreSQL cluster on 127.0.0.1, started as bin/test does (as `ltitest` when root)."""

    def __init__(self) -> None:
        self.pgbin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                                 key=lambda p: int(p.parent.name))[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="lti_tool_badge_bench."))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
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
        # Durable settings (fsync on): commits cost what they cost in production.
        self._run(str(self.pgbin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self._run(str(self.pgbin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", "bench")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/bench"

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.pgbin / "pg_ctl"), "-D", str(self.dir / "data"),
                        "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def seed(app: Any, pairs: int) -> None:
    """One course, 2 × `pairs` learners, `pairs` active pairs with five milestones each."""
    from sqlalchemy import insert, select

    from lti_tool.db import db, utcnow
    from lti_tool.lti.models import Context, Membership, User
    from lti_tool.lti.services import register_platform
    from lti_tool.pairs.models import (
        Agreement,
        AgreementVersion,
        Feedback,
        Goal,
        MentoringSession,
        Pair,
        SessionConfirmation,
    )

    with app.app_context():
        db.drop_all()
        db.create_all()
        reg = register_platform(issuer="https://lms.example.org", client_id="bench",
                                auth_login_url="https://lms.example.org/auth",
                                auth_token_url="https://lms.example.org/token",
                                key_set_url="https://lms.example.org/jwks",
                                deployment_ids=["dep"])
        ctx = Context(deployment_id=reg.deployments[0].id, context_id="c1", title="Bench",
                      label="B", created_at=utcnow())
        db.session.add(ctx)
        db.session.flush()
        now = utcnow()
        db.session.execute(insert(User), [
            {"registration_id": reg.id, "sub": f"u{i}", "name": f"Learner {i}",
             "email": f"learner{i}@example.org", "locale": ("en", "it", "pt")[i % 3],
             "created_at": now} for i in range(2 * pairs)])
        users = list(db.session.scalars(select(User.id).order_by(User.id)))
        db.session.execute(insert(Membership), [
            {"context_id": ctx.id, "user_id": u, "role": "learner", "lti_roles": "",
             "source": "launch"} for u in users])
        db.session.execute(insert(Pair), [
            {"context_id": ctx.id, "mentor_id": users[2 * i], "mentee_id": users[2 * i + 1],
             "status": "active", "proposed_at": FORMED - timedelta(days=2),
             "mentor_accepted_at": FORMED, "mentee_accepted_at": FORMED, "formed_at": FORMED}
            for i in range(pairs)])
        pair_rows = db.session.execute(select(Pair.id, Pair.mentor_id, Pair.mentee_id)
                                       .order_by(Pair.id)).all()
        db.session.execute(insert(Agreement), [
            {"pair_id": p.id, "revision": 2, "created_at": FORMED, "updated_at": FORMED}
            for p in pair_rows])
        agreements = dict(db.session.execute(select(Agreement.pair_id, Agreement.id)).all())
        signed = FORMED + timedelta(days=4)
        db.session.execute(insert(AgreementVersion), [
            {"agreement_id": agreements[p.id], "number": 1, "cadence": "weekly",
             "channels": ["video"], "confidentiality": True, "ground_rules": "",
             "created_at": FORMED, "updated_at": FORMED, "mentor_signed_at": signed,
             "mentee_signed_at": signed, "signed_at": signed} for p in pair_rows])
        versions = list(db.session.scalars(select(AgreementVersion.id)
                                           .order_by(AgreementVersion.id)))
        db.session.execute(insert(Goal), [
            row for v in versions for row in (
                {"version_id": v, "direction": "mentee", "position": 1, "text": "goal",
                 "competence_id": "2.1", "framework": "2.2", "target_level": 3},
                {"version_id": v, "direction": "mentor", "position": 2, "text": "goal"})])
        sessions = []
        for p in pair_rows:
            for k in range(4):
                held = (FORMED + timedelta(days=5 + 10 * k))
                sessions.append({"pair_id": p.id, "created_by": p.mentor_id, "created_at": held,
                                 "held_on": held.date(), "minutes": 45, "topics": "",
                                 "logged_by": p.mentor_id, "logged_at": held,
                                 "confirmed_at": held})
        db.session.execute(insert(MentoringSession), sessions)
        session_rows = db.session.execute(select(MentoringSession.id, MentoringSession.pair_id,
                                                 MentoringSession.confirmed_at)).all()
        partners = {p.id: (p.mentor_id, p.mentee_id) for p in pair_rows}
        db.session.execute(insert(SessionConfirmation), [
            {"session_id": s.id, "user_id": u, "confirmed_at": s.confirmed_at}
            for s in session_rows for u in partners[s.pair_id]])
        ack = FORMED + timedelta(days=12)
        db.session.execute(insert(Feedback), [
            row for p in pair_rows for row in (
                {"pair_id": p.id, "giver_id": p.mentor_id, "receiver_id": p.mentee_id,
                 "kind": "sbi", "created_at": ack, "acknowledged_at": ack, "action": "try"},
                {"pair_id": p.id, "giver_id": p.mentee_id, "receiver_id": p.mentor_id,
                 "kind": "feedforward", "created_at": ack, "acknowledged_at": ack,
                 "action": "noted"})])
        db.session.commit()


def backfill(app: Any, batch: int) -> tuple[int, float, float]:
    from sqlalchemy import func, select

    from lti_tool.badges.models import BadgeAward
    from lti_tool.db import db

    runner = app.test_cli_runner(mix_stderr=False) if _mix_stderr_supported() else \
        app.test_cli_runner()
    wall, cpu = time.perf_counter(), time.process_time()
    result = runner.invoke(args=["badges", "backfill", "--batch", str(batch)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if result.exit_code != 0:
        raise SystemExit(f"backfill failed: {result.output}\n{result.exception!r}")
    print(result.output.strip().splitlines()[-1])
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(BadgeAward)) or 0
    return count, wall, cpu


def _mix_stderr_supported() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def pages(app: Any, requests: int, seed_: int = 7
          ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU milliseconds per request, by kind of visit."""
    from sqlalchemy import select

    from lti_tool.badges.models import BadgeAward
    from lti_tool.db import db

    with app.app_context():
        ids = [c.rsplit(":", 1)[-1] for c in db.session.scalars(select(BadgeAward.credential_id))]
    rng = random.Random(seed_)
    client = app.test_client()
    out: dict[str, list[float]] = {"first visit": [], "repeat visit": [],
                                   "after a revocation": []}
    cpu: dict[str, list[float]] = {k: [] for k in out}

    def get(uuid: str, into: str) -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        resp = client.get(f"/badges/credentials/{uuid}")
        out[into].append((time.perf_counter() - start) * 1000)
        cpu[into].append((time.process_time() - start_cpu) * 1000)
        assert resp.status_code == 200 and b"Verified" in resp.data or b"revoked" in resp.data

    sample = rng.sample(ids, requests)
    for uuid in sample:
        get(uuid, "first visit")
    for uuid in rng.choices(sample, k=requests):
        get(uuid, "repeat visit")
    # A revocation bumps the list's revision: the next request rebuilds and re-signs the list.
    for i in range(5):
        from lti_tool.badges import services
        from lti_tool.db import utcnow

        with app.app_context():
            award = db.session.scalar(select(BadgeAward).where(
                BadgeAward.credential_id == f"urn:uuid:{sample[i]}"))
            services.revoke(award, "benchmark", utcnow())
            db.session.commit()
        get(sample[-1 - i], "after a revocation")
        for uuid in rng.choices(sample, k=20):
            get(uuid, "repeat visit")
    return out, cpu


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--batch", type=int, default=250, help="pairs per backfill transaction")
    args = parser.parse_args()

    external = os.environ.get("LTI_TOOL_BENCH_DATABASE_URL")
    pg = None if external else ThrowawayPostgres()
    url = external or pg.start()  # type: ignore[union-attr]
    try:
        from lti_tool import create_app

        app = create_app({"ENVIRON": {"LTI_TOOL_SECRET_KEY": SECRET,
                                      "LTI_TOOL_DATABASE_URL": url,
                                      "LTI_TOOL_BASE_URL": BASE_URL,
                                      "LTI_TOOL_ENV": "production"}})
        import logging

        logging.getLogger().setLevel(logging.WARNING)
        t = time.perf_counter()
        seed(app, args.pairs)
        print(f"seeded {args.pairs} pairs in {time.perf_counter() - t:.1f} s")
        count, wall, cpu = backfill(app, args.batch)
        print(f"backfill: {count} credentials in {wall:.1f} s wall, {cpu:.1f} s CPU of this "
              f"process → {count / wall:.0f} credentials/s (wall), {count / cpu:.0f}/s per CPU "
              f"second")
        timings, cpu = pages(app, min(args.requests, count))
        for label, values in timings.items():
            print(f"public page, {label:<20} n={len(values):4d}  p50 {pct(values, 50):6.2f} ms"
                  f"  p95 {pct(values, 95):6.2f} ms  max {max(values):6.2f} ms   (CPU p50 "
                  f"{pct(cpu[label], 50):5.2f}, p95 {pct(cpu[label], 95):5.2f} ms)")
        every = [v for values in timings.values() for v in values]
        print(f"public page, all {len(every)} requests: p50 {pct(every, 50):.2f} ms, "
              f"p95 {pct(every, 95):.2f} ms  (target p95 < 30 ms)")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load "
              f"{os.getloadavg()[0]:.1f}, {'external' if external else 'throwaway'} PostgreSQL")
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
