"""The door out to e-mail: building messages from templates and handing them to SMTP.

Without an SMTP host configured, messages are written as .eml files into `instance/mail/` so a
person running the app locally can open them. This module never touches the database.
"""

from __future__ import annotations

import dataclasses
import email.policy
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import render_template
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer

from ..defaults import default_config, default_section

_DEFAULTS = default_section("mail")


class DeliveryError(Exception):
    """The message could not be handed over (refused, unreachable); it will be retried."""


@dataclass(frozen=True)
class MailSettings:
    """The `[mail]` section; its defaults are those of config/default.toml (read through defaults.py)."""

    host: str = _DEFAULTS["host"]
    port: int = _DEFAULTS["port"]
    use_tls: bool = _DEFAULTS["use_tls"]  # implicit TLS (SMTPS, usually port 465)
    starttls: bool = _DEFAULTS["starttls"]
    username: str = _DEFAULTS["username"]
    password: str = ""  # a secret: from MUTUALISATION_MAIL__PASSWORD only, never a file
    sender: str = _DEFAULTS["sender"]
    timeout_seconds: float = _DEFAULTS["timeout_seconds"]
    outbox_dir: str = ""  # where .eml files go when no host is configured (under the instance folder)
    public_base_url: str = default_config()["PUBLIC_BASE_URL"]
    secret_key: str = ""
    max_attempts: int = _DEFAULTS["max_attempts"]
    backoff_base_seconds: int = _DEFAULTS["backoff_base_seconds"]
    batch_size: int = _DEFAULTS["batch_size"]
    lease_seconds: int = _DEFAULTS["lease_seconds"]

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        """Read the `[mail]` section; the password comes from MUTUALISATION_MAIL__PASSWORD only."""
        mail = dict(config.get("mail") or {})
        # The typed settings checked every key at start-up; a key left out keeps the file default.
        known = {f.name for f in dataclasses.fields(cls)} - {"outbox_dir", "public_base_url", "secret_key"}
        return cls(
            **{key: value for key, value in mail.items() if key in known},
            outbox_dir=str(Path(config["INSTANCE_PATH"]) / "mail"),
            public_base_url=str(config.get("PUBLIC_BASE_URL") or cls.public_base_url).rstrip("/"),
            secret_key=str(config["SECRET_KEY"]),
        )

    def absolute(self, link: str | None) -> str:
        if not link:
            return self.public_base_url + "/notifications"
        if link.startswith(("http://", "https://")):
            return link
        return self.public_base_url + ("" if link.startswith("/") else "/") + link


# Signed links ---------------------------------------------------------------------------------

_UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(secret_key: str, user_id: int, kind: str) -> str:
    return URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps({"u": user_id, "k": kind})


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    try:
        data = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return int(data["u"]), str(data["k"])


def unsubscribe_url(settings: MailSettings, user_id: int, kind: str) -> str:
    return settings.absolute(
        f"/notifications/unsubscribe/{unsubscribe_token(settings.secret_key, user_id, kind)}"
    )


# Messages ----------------------------------------------------------------------------------------

# Headers are folded at RFC 5322's hard limit, not at 78 characters: the default policy would turn a
# long List-Unsubscribe URL, which has no space to fold at, into RFC 2047 encoded words that mail
# clients do not read as a URL.
MESSAGE_POLICY = email.policy.default.clone(max_line_length=998)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def header_value(value: str) -> str:
    """A value that is safe in one header line: user text (a listing title in a subject) may hold
    line breaks or other control characters, which the mail layer refuses (or, worse, would read
    as a new header). They become one space each run; French non-breaking spaces stay."""
    return " ".join(part for part in _CONTROL_CHARACTERS.sub(" ", value).split(" ") if part)


def build_message(
    settings: MailSettings,
    *,
    to: str,
    locale: str,
    subject: str,
    template: str,
    message_id_key: str,
    unsubscribe: str | None = None,
    **context: Any,
) -> EmailMessage:
    """A multipart text + HTML message rendered in the recipient's language.

    The Message-ID is derived from the outbox key, so if a crash ever made us hand the same
    notification over twice, the receiving servers see the same message, not a new one.
    """
    with force_locale(locale):
        context.update(
            subject=subject, unsubscribe_url=unsubscribe, base_url=settings.public_base_url, locale=locale
        )
        text = render_template(f"notifications/email/{template}.txt", **context)
        html = render_template(f"notifications/email/{template}.html", **context)
    message = EmailMessage(policy=MESSAGE_POLICY)
    domain = settings.sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    headers = {
        "Subject": subject,
        "From": settings.sender,
        "To": to,
        "Date": formatdate(localtime=False),
        "Message-ID": f"<{message_id_key}@{domain}>" if message_id_key else make_msgid(),
        "Content-Language": locale,
    }
    if unsubscribe:
        # RFC 2369: a URL between angle brackets; RFC 8058: one-click unsubscribe by POST.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in headers.items():
        message[name] = header_value(value)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class Mailer:
    """Hands messages over to SMTP, keeping one connection open for a whole batch.

    Opening a connection (and TLS, and login) per message dominated delivery time; a batch now
    costs one. A connection the server closed while idle is reopened once, transparently.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Hand the message over, or raise DeliveryError (refused, unreachable, timeout)."""
        if not self.settings.host:
            _write_eml(self.settings, message)
            return
        try:
            reused = self.smtp is not None
            try:
                self._connection().send_message(message)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                self.close()
                self._connection().send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:480]) from exc

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            settings = self.settings
            if settings.use_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    timeout=settings.timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
            try:
                if settings.starttls and not settings.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password)
            except BaseException:
                smtp.close()
                raise
            self.smtp = smtp
        return self.smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Send one message on its own connection."""
    with Mailer(settings) as mailer:
        mailer.send(message)


def _write_eml(settings: MailSettings, message: EmailMessage) -> None:
    folder = Path(settings.outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    key = str(message["Message-ID"]).strip("<>").split("@", 1)[0]
    (folder / f"{key}.eml").write_bytes(bytes(message))
