"""E-mails that carry a secret link (reset, invitation), sent right after the use case commits.

They do not go through the notifications table on purpose: that outbox keeps the link in clear
for the in-app centre and until delivery, while these links must exist nowhere but in the
e-mail (only their hash is stored). They still leave only after the commit, through the same
door (`notifications.mail`: SMTP, or .eml files in the instance's mail folder in development).
A failed hand-over is logged and reported to the door; the person can ask again.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale, gettext

from ..notifications.mail import DeliveryError, MailSettings, build_message, send

log = logging.getLogger(__name__)


def send_link_email(
    *, to: str, locale: str, subject: str, template: str, key: str, path: str, **context
) -> bool:
    """Send one e-mail whose main content is the link `path`; True when it was handed over."""
    settings = MailSettings.from_config(current_app.config)
    with force_locale(locale):
        translated = gettext(subject, **context)
    message = build_message(
        settings,
        to=to,
        locale=locale,
        subject=translated,
        template=template,
        message_id_key=key,
        link=settings.absolute(path),
        **context,
    )
    try:
        send(settings, message)
    except DeliveryError as exc:
        log.warning("link e-mail %s not delivered: %s", key, exc)
        return False
    return True
