from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mutualisation.notifications import kinds
from mutualisation.notifications.delivery import backoff, group_for_digest
from mutualisation.notifications.mail import MailSettings, read_unsubscribe_token, unsubscribe_token
from mutualisation.notifications.models import Notification

SETTINGS = MailSettings(public_base_url="https://m.example", secret_key="k" * 32, backoff_base_seconds=60)


def test_actions_default_to_immediate_and_information_to_daily():
    assert kinds.default_frequency("agreement.approval_requested") == "immediate"
    assert kinds.default_frequency("agreement.proposal_received") == "immediate"
    assert kinds.default_frequency("matching.new_suggestions") == "daily"
    assert kinds.default_frequency("listing.expiring") == "daily"
    assert all(k.is_action == (k.default_frequency == "immediate") for k in kinds.KINDS.values())


def test_an_unknown_kind_falls_back_to_immediate():
    assert kinds.default_frequency("somebody.new_kind") == "immediate"


def test_backoff_doubles_and_is_capped_at_a_day():
    assert [backoff(SETTINGS, n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(SETTINGS, 30) == timedelta(days=1)


def test_links_in_emails_are_absolute():
    assert SETTINGS.absolute("/agreements/3") == "https://m.example/agreements/3"
    assert SETTINGS.absolute(None) == "https://m.example/notifications"


def test_an_unsubscribe_token_is_signed():
    token = unsubscribe_token("k" * 32, 7, "listing.expiring")
    assert read_unsubscribe_token("k" * 32, token) == (7, "listing.expiring")
    assert read_unsubscribe_token("another key entirely", token) is None


def _n(id_, hours, object_id):
    at = datetime(2026, 11, 26, tzinfo=UTC) + timedelta(hours=hours)
    return Notification(
        id=id_,
        kind="x",
        subject=f"s{id_}",
        created_at=at,
        object_type="listing",
        object_id=object_id,
        link=f"/l/{object_id}",
    )


def test_a_digest_groups_by_object_with_the_newest_group_and_item_first():
    groups = group_for_digest([_n(1, 1, "a"), _n(2, 2, "b"), _n(3, 3, "a")], SETTINGS)
    assert [g.object_id for g in groups] == ["a", "b"]
    assert [i.id for i in groups[0].items] == [3, 1]
    assert groups[0].link == "https://m.example/l/a"
