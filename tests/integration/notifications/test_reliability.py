"""Reliability against real databases, real threads, real processes and a real SMTP sink.

These tests need committed data visible to several connections, so each builds its own database
(a private schema on PostgreSQL, a file on SQLite) instead of the per-test rolled-back transaction.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, text

from mutualisation.db import make_engine, transaction
from mutualisation.migrate import upgrade
from mutualisation.notifications.delivery import deliver_outbox
from mutualisation.notifications.models import Notification
from mutualisation.scheduling.models import JobRun
from tests.builders import make_notification, make_user
from tests.conftest import DATABASES, PG_URL
from tests.integration.notifications.conftest import NOW


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """A fresh, migrated database whose commits are real, dropped afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reliability.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    schema = f"notif_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def own_app(database_url, tmp_path):
    from mutualisation.app import create_app

    app = create_app(
        {"ENV": "testing", "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance")}
    )
    yield app
    app.extensions["mutualisation.engine"].dispose()


def test_two_delivery_workers_send_each_notification_exactly_once(own_app, smtp_sink, mail_settings):
    sessions = own_app.extensions["mutualisation.sessions"]
    with own_app.app_context(), sessions() as session, transaction(session):
        users = [make_user(session, "official") for _ in range(4)]
        ids = [make_notification(session, users[i % 4]).id for i in range(60)]
    settings = dataclasses.replace(mail_settings, batch_size=3)
    sent_by: dict[str, int] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        try:
            with own_app.app_context(), sessions() as session:
                start.wait()
                sent_by[name] = deliver_outbox(session, settings, NOW, max_batches=1000)["sent"]
        except BaseException as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    message_ids = Counter(m["Message-ID"] for m in smtp_sink.messages)
    assert len(message_ids) == 60 and set(message_ids.values()) == {1}
    assert sum(sent_by.values()) == 60
    assert message_ids.keys() == {f"<notification-{i}@mutualisation.example>" for i in ids}
    with sessions() as session:
        statuses = Counter(session.scalars(select(Notification.email_status)))
    assert statuses == {"sent": 60}


def _scheduler(env: dict[str, str], log: Path) -> subprocess.Popen:
    command = str(Path(sys.executable).parent / "mutualisation")
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([command, "scheduler"], env=env, stdout=out, stderr=subprocess.STDOUT)


def _runners(url: str) -> Counter:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return Counter(r.split(":")[-1] for r in conn.execute(select(JobRun.runner)).scalars())
    finally:
        engine.dispose()


def _wait_for(condition, timeout: float) -> float:
    """Bounded wait; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout} s")


def test_two_scheduler_processes_elect_one_leader_and_the_standby_takes_over(database_url, tmp_path):
    interval = 0.5
    env = {
        **os.environ,
        "MUTUALISATION_ENV": "testing",
        "MUTUALISATION_DATABASE_URL": database_url,
        "MUTUALISATION_INSTANCE_PATH": str(tmp_path / "instance"),
        "MUTUALISATION_SCHEDULER__LEADER_CHECK_SECONDS": str(interval),
        "MUTUALISATION_SCHEDULER__OUTBOX_INTERVAL_SECONDS": "0.3",
        "MUTUALISATION_LOG_LEVEL": "INFO",
    }
    first = _scheduler(env, tmp_path / "first.log")
    second = None
    try:
        _wait_for(lambda: _runners(database_url)[str(first.pid)] > 0, timeout=30)
        second = _scheduler(env, tmp_path / "second.log")
        # Measure the takeover, not the start: on a loaded machine importing the app can take seconds,
        # so wait until the second process has really tried the lock and stands by.
        _wait_for(lambda: "on standby" in (tmp_path / "second.log").read_text(), timeout=30)
        time.sleep(3 * interval + 1)  # the standby had several chances to take the lock
        runs = _runners(database_url)
        assert runs[str(first.pid)] >= 2
        assert runs[str(second.pid)] == 0

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        took = _wait_for(lambda: _runners(database_url)[str(second.pid)] > 0, timeout=interval + 10)
        print(f"standby took over and ran a job {took:.2f} s after the leader was killed")
        assert took < interval + 5

        second.terminate()  # SIGTERM: a clean stop
        assert second.wait(timeout=10) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


def test_the_in_process_scheduler_of_make_run_delivers_the_outbox(database_url, tmp_path, smtp_sink):
    from mutualisation.app import create_app

    # Settings are read once, at start-up: the test gives them to create_app like a config file would.
    own_app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "mail": {"host": "127.0.0.1", "port": smtp_sink.port},
            "scheduler": {"leader_check_seconds": 0.2, "outbox_interval_seconds": 0.2},
        }
    )
    sessions = own_app.extensions["mutualisation.sessions"]
    with own_app.app_context(), sessions() as session, transaction(session):
        make_notification(session, make_user(session, "official"))
    stop = threading.Event()

    from mutualisation.scheduler import start_in_process

    thread = start_in_process(own_app, stop)
    try:
        _wait_for(lambda: len(smtp_sink.messages) == 1, timeout=15)
    finally:
        stop.set()
        thread.join(timeout=10)
        own_app.extensions["mutualisation.engine"].dispose()
    assert not thread.is_alive()
