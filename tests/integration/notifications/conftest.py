from __future__ import annotations

from datetime import datetime

import pytest

from mutualisation.notifications.mail import MailSettings
from mutualisation.scheduler import PARIS
from tests.smtp_sink import SmtpSink

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=PARIS)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_settings(smtp_sink, tmp_path) -> MailSettings:
    return MailSettings(
        host="127.0.0.1",
        port=smtp_sink.port,
        sender="Mutualisation <no-reply@mutualisation.example>",
        outbox_dir=str(tmp_path / "mail"),
        public_base_url="https://mutualisation.example",
        secret_key="a test secret key of sufficient length",
        max_attempts=3,
        backoff_base_seconds=60,
        timeout_seconds=5,
    )


@pytest.fixture
def ctx(app):
    """An application context: `notify` translates in the recipient's language."""
    with app.app_context():
        yield app
