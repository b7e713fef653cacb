"""Outbox delivery throughput: N notifications to a local SMTP sink, one worker then two, then
two workers with one recipient whose mailbox the server refuses (a poisoned outbox).

Run alone: `python bench/bench_outbox.py [N] [database-url]` (default: 500, a temporary SQLite file).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mutualisation.app import create_app  # noqa: E402
from mutualisation.db import transaction  # noqa: E402
from mutualisation.migrate import upgrade  # noqa: E402
from mutualisation.notifications.delivery import deliver_outbox  # noqa: E402
from mutualisation.notifications.mail import MailSettings  # noqa: E402
from mutualisation.scheduler import PARIS  # noqa: E402
from tests.builders import make_notification, make_user  # noqa: E402
from tests.smtp_sink import SmtpSink  # noqa: E402


def run(n: int, url: str, workers: int, tmp: str, poisoned: bool = False) -> float:
    app = create_app({"ENV": "testing", "DATABASE_URL": url, "INSTANCE_PATH": tmp})
    upgrade(app.extensions["mutualisation.engine"])
    sessions = app.extensions["mutualisation.sessions"]
    with app.app_context(), sessions() as session, transaction(session):
        users = [make_user(session, "official") for _ in range(10)]
        refused = make_user(session, "official")
        if poisoned:
            make_notification(session, refused)  # first in id order: it must not hold the rest back
        for i in range(n):
            make_notification(session, users[i % 10])
    sink = SmtpSink().start()
    sink.refuse_recipient(refused.email)
    settings = MailSettings(
        host="127.0.0.1",
        port=sink.port,
        secret_key="k" * 32,
        public_base_url="https://m.example",
        batch_size=20,
    )
    now = datetime.now(PARIS)

    def work() -> None:
        with app.app_context(), sessions() as session:
            deliver_outbox(session, settings, now, max_batches=10_000)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    sink.stop()
    assert len(sink.messages) == n, len(sink.messages)
    app.extensions["mutualisation.engine"].dispose()
    return seconds


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}")
    for workers, poisoned in ((1, False), (2, False), (2, True)):
        with tempfile.TemporaryDirectory() as tmp:
            url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/bench.sqlite3"
            seconds = run(n, url, workers, tmp, poisoned)
            extra = " (+1 refused, retried later)" if poisoned else ""
            print(f"{n} e-mails{extra}, {workers} worker(s): {seconds:.2f} s, {n / seconds:.0f} e-mails/s")


if __name__ == "__main__":
    main()
