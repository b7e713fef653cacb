"""Mail headers as the receiving server reads them: the raw bytes, not a parsed message."""

from __future__ import annotations

import re

from mutualisation.notifications.mail import build_message, header_value, unsubscribe_url
from mutualisation.notifications.models import NotificationPreference
from tests.builders import make_user


def test_control_characters_in_a_header_value_become_single_spaces():
    assert header_value("Broyeur\r\n\tde végétaux\x00 \u2028 neuf\n") == "Broyeur de végétaux neuf"


def test_list_unsubscribe_is_one_url_in_angle_brackets_with_one_click_post_in_the_raw_bytes(
    ctx, mail_settings
):
    url = unsubscribe_url(mail_settings, 123456, "matching.new_suggestion")
    assert len(url) > 78  # longer than a folded line: the case that used to become encoded words
    message = build_message(
        mail_settings,
        to="someone@example.org",
        locale="fr",
        subject="Une suggestion pour « Broyeur »",
        template="digest",
        message_id_key="digest-test",
        unsubscribe=url,
        user=None,
        groups=[],
        frequency="daily",
        unsubscribe_links=[],
        notifications_url=url,
        preferences_url=url,
    )

    raw = bytes(message)
    headers = raw.split(b"\n\n", 1)[0].decode("ascii")
    assert re.search(rf"^List-Unsubscribe: <{re.escape(url)}>$", headers, re.MULTILINE)
    assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", headers, re.MULTILINE)
    unsubscribe_lines = [line for line in headers.splitlines() if line.startswith("List-Unsubscribe")]
    assert not any("=?" in line for line in unsubscribe_lines)


def test_a_one_click_post_from_a_mail_client_unsubscribes_without_a_csrf_token(app, client, session):
    user = make_user(session, "official")
    url = unsubscribe_url(_settings_of(app), user.id, "matching.new_suggestion").removeprefix(
        app.config["PUBLIC_BASE_URL"].rstrip("/")
    )

    # What RFC 8058 says a mail client sends: a form body, no cookie, no CSRF token.
    forged = client.post(url[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"})
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})

    assert forged.status_code == 404
    assert done.status_code == 200
    pref = session.query(NotificationPreference).filter_by(user_id=user.id, kind="matching.new_suggestion")
    assert pref.one().frequency == "none"


def _settings_of(app):
    from mutualisation.notifications.mail import MailSettings

    return MailSettings.from_config(app.config)
