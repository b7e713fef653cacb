"""SQLite served as `make run` serves it: gunicorn with 2 workers plus the scheduler process.

Clients write at the same moment for a bounded time: two officials approving the same agreement,
listing creation, token logins, and a reader. Nothing may answer 5xx, and every write the server
acknowledged must be in the database afterwards. The figures are printed for the release note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from tests.smtp_sink import free_port

DURATION_SECONDS = 15.0
PENDING_AGREEMENTS = 60
SRC = Path(__file__).resolve().parents[2] / "src"


def _environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")])),
            "MUTUALISATION_ENV": "development",
            "MUTUALISATION_DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
            "MUTUALISATION_INSTANCE_PATH": str(tmp_path / "instance"),
            "MUTUALISATION_SECRET_KEY": "concurrency-test-secret-key-0123456789",
            "MUTUALISATION_RUN_SCHEDULER_IN_PROCESS": "false",
            "MUTUALISATION_RATELIMIT_ENABLED": "false",
            "MUTUALISATION_SCHEDULER__OUTBOX_INTERVAL_SECONDS": "1",
            "MUTUALISATION_GEOCODING__PROVIDER": "none",
        }
    )
    return env


def _prepare_database(env: dict[str, str]) -> list[tuple[int, int]]:
    """Demo network plus agreements waiting for both officials; returns (id, terms version)."""
    from mutualisation.app import create_app
    from mutualisation.demo import load_demo
    from mutualisation.migrate import upgrade
    from mutualisation.settings import load_settings
    from mutualisation.web import db_session

    app = create_app(load_settings(environ=env))
    upgrade(app.extensions["mutualisation.engine"])
    with app.app_context():
        session = db_session()
        load_demo(session)
        pending = [_pending_agreement(session, i) for i in range(PENDING_AGREEMENTS)]
    app.extensions["mutualisation.engine"].dispose()
    return pending


def _pending_agreement(session, index: int) -> tuple[int, int]:
    from mutualisation.accounts.models import User
    from mutualisation.agreements import services
    from mutualisation.listings.models import Listing

    def user(email: str) -> User:
        return session.scalars(select(User).where(User.email == email)).one()

    owner, requester = user("technician@malaunay.demo"), user("technician@le-mene.demo")
    offer = Listing(
        kind="offer",
        category="equipment",
        subcategory="green_weeding",
        title=f"Désherbeur {index}",
        description="Prêt entre communes.",
        quantity=1,
        unit="lot",
        territory_id=owner.territory_id,
        owner_id=owner.id,
        status="published",
        logistics="pickup",
        conditions="loan",
        latitude=owner.territory.latitude,
        longitude=owner.territory.longitude,
    )
    session.add(offer)
    session.commit()
    start = dt.date.today() + dt.timedelta(days=40)
    terms = {"starts_on": start, "ends_on": start + dt.timedelta(days=3), "deposit_eur": 0}
    agreement = services.create(session, requester, offer_id=offer.id, terms=terms)
    services.transition(session, requester, agreement.id, "propose", {"version": agreement.terms_version})
    services.transition(session, owner, agreement.id, "accept", {"version": agreement.terms_version})
    return agreement.id, agreement.terms_version


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_served(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("gunicorn stopped during start-up")
        try:
            if requests.get(base + "/login", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not answer within 90 s")


@dataclass
class Tally:
    """What the clients saw and what the server acknowledged."""

    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    approvals: set[tuple[int, str]] = field(default_factory=set)
    listings: set[int] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what: str, response: requests.Response) -> bool:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{what}: {response.status_code} {response.text[:200]}")
        return 200 <= response.status_code < 300


def _token(base: str, email: str, tally: Tally) -> str:
    response = requests.post(
        base + "/api/v1/auth/tokens", json={"email": email, "password": "demo-password"}, timeout=60
    )
    assert tally.record("token", response), response.text
    clear = response.json()["token"]
    with tally.lock:
        tally.tokens.add(clear)
    return clear


def _approver(base, email, pending, barrier, deadline, tally) -> None:
    headers = {"Authorization": f"Bearer {_token(base, email, tally)}"}
    for agreement_id, version in pending:
        try:
            barrier.wait(timeout=120)  # both officials approve each agreement at the same moment
        except threading.BrokenBarrierError:
            return
        if time.monotonic() > deadline:
            barrier.abort()
            return
        response = requests.post(
            f"{base}/api/v1/agreements/{agreement_id}/transitions",
            json={"action": "approve", "version": version},
            headers=headers,
            timeout=60,
        )
        if tally.record("approve", response):
            with tally.lock:
                tally.approvals.add((agreement_id, email))


def _creator(base, email, deadline, tally) -> None:
    headers = {"Authorization": f"Bearer {_token(base, email, tally)}"}
    n = 0
    while time.monotonic() < deadline:
        n += 1
        payload = {
            "kind": "need",
            "category": "equipment",
            "subcategory": "green_chipper",
            "title": f"Broyeur {email} {n}",
            "description": "Au printemps",
        }
        response = requests.post(base + "/api/v1/listings", json=payload, headers=headers, timeout=60)
        if tally.record("listing", response):
            with tally.lock:
                tally.listings.add(response.json()["id"])


def _logger_in(base, email, deadline, tally) -> None:
    while time.monotonic() < deadline:
        _token(base, email, tally)


def _reader(base, deadline, tally) -> None:
    headers = {"Authorization": f"Bearer {_token(base, 'technician@loos-en-gohelle.demo', tally)}"}
    while time.monotonic() < deadline:
        tally.record("read", requests.get(base + "/api/v1/listings", headers=headers, timeout=60))


def _run_clients(base: str, pending: list[tuple[int, int]], tally: Tally) -> float:
    deadline = time.monotonic() + DURATION_SECONDS
    barrier = threading.Barrier(2)
    targets = [
        (_approver, (base, "official@malaunay.demo", pending, barrier, deadline, tally)),
        (_approver, (base, "official@le-mene.demo", pending, barrier, deadline, tally)),
        (_creator, (base, "technician@loos-en-gohelle.demo", deadline, tally)),
        (_creator, (base, "technician@grande-synthe.demo", deadline, tally)),
        (_logger_in, (base, "technician@malaunay.demo", deadline, tally)),
        (_logger_in, (base, "official@loos-en-gohelle.demo", deadline, tally)),
        (_reader, (base, deadline, tally)),
    ]
    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in targets]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION_SECONDS + 180)
    return time.monotonic() - started


def _check_acknowledged_writes(database: Path, tally: Tally) -> None:
    with sqlite3.connect(database) as db:
        approvals = set(
            db.execute(
                "SELECT a.agreement_id, u.email FROM agreement_approvals a"
                " JOIN users u ON u.id = a.official_id WHERE a.decision = 'approve'"
            )
        )
        listings = {row[0] for row in db.execute("SELECT id FROM listings")}
        hashes = {row[0] for row in db.execute("SELECT token_hash FROM api_tokens")}
    assert tally.approvals <= approvals
    assert tally.listings <= listings
    assert {hashlib.sha256(t.encode()).hexdigest() for t in tally.tokens} <= hashes


def test_two_workers_and_the_scheduler_serve_concurrent_writers_on_sqlite_without_a_5xx(tmp_path):
    env = _environment(tmp_path)
    pending = _prepare_database(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "mutualisation.wsgi:app",
        ],
        env,
        tmp_path / "gunicorn.log",
    )
    scheduler = _start(
        [sys.executable, "-c", "from mutualisation.cli import main; main()", "scheduler"],
        env,
        tmp_path / "scheduler.log",
    )
    tally = Tally()
    try:
        _wait_until_served(base, server)
        elapsed = _run_clients(base, pending, tally)
    finally:
        _stop(server)
        _stop(scheduler)
    total = sum(tally.statuses.values())
    print(
        f"\nSQLite, gunicorn 2 workers + scheduler, {DURATION_SECONDS:.0f} s of writers"
        f" on {os.cpu_count()} CPU(s):"
        f" {total} requests, {total / elapsed:.1f} requests/s, {len(tally.server_errors)} errors (5xx),"
        f" statuses {dict(sorted(tally.statuses.items()))}, acknowledged: {len(tally.approvals)} approvals,"
        f" {len(tally.listings)} listings, {len(tally.tokens)} token logins"
    )
    assert tally.server_errors == []
    assert len(tally.approvals) >= 2 and tally.listings and len(tally.tokens) > 7
    _check_acknowledged_writes(tmp_path / "served.sqlite3", tally)
    scheduler_log = (tmp_path / "scheduler.log").read_text(errors="replace")
    assert "database is locked" not in scheduler_log


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
