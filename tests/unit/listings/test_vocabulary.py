"""One source per listing vocabulary: codes, CHECK constraints, labels and the reusable rule."""

from __future__ import annotations

import pytest

from mutualisation.listings import labels, lifecycle
from mutualisation.listings.lifecycle import ListingStatus, is_reusable, stays_published, transition
from mutualisation.listings.vocabulary import CONDITIONS, KINDS, LOGISTICS, Conditions, check_in


def test_the_status_tuple_follows_the_enum_in_order():
    assert lifecycle.STATUSES == ("draft", "published", "reserved", "fulfilled", "expired", "withdrawn")
    assert tuple(ListingStatus) == lifecycle.STATUSES


def test_check_constraint_texts_are_spelled_as_the_migrations_spell_them():
    assert check_in("kind", KINDS) == "kind IN ('offer', 'need')"
    assert check_in("status", lifecycle.STATUSES) == (
        "status IN ('draft', 'published', 'reserved', 'fulfilled', 'expired', 'withdrawn')"
    )


def test_the_models_check_constraints_are_derived_from_the_vocabularies():
    from mutualisation.listings.models import Listing

    texts = {str(getattr(c, "sqltext", "")) for c in Listing.__table__.constraints}
    assert check_in("status", lifecycle.STATUSES) in texts
    assert check_in("kind", KINDS) in texts


@pytest.mark.parametrize(
    ("mapping", "codes"),
    [
        (labels.STATUS_LABELS, lifecycle.STATUSES),
        (labels.KIND_LABELS, KINDS),
        (labels.LOGISTICS_LABELS, LOGISTICS),
        (labels.CONDITIONS_LABELS, CONDITIONS),
        (labels.WITHDRAWAL_REASON_LABELS, lifecycle.WITHDRAWAL_REASONS),
    ],
)
def test_every_code_has_exactly_one_label(mapping, codes):
    assert [str(code) for code in mapping] == list(codes)


def test_choices_keep_the_requested_order_and_plain_string_codes():
    pairs = labels.choices(labels.CONDITIONS_LABELS, order=(Conditions.LOAN, Conditions.FREE))
    assert [code for code, _label in pairs] == ["loan", "free"]
    assert all(type(code) is str for code, _label in pairs)


@pytest.mark.parametrize(
    ("inexhaustible", "recurring", "expected"),
    [(False, False, False), (True, False, True), (False, True, True), (None, None, False)],
)
def test_a_listing_is_reusable_when_inexhaustible_or_recurring(inexhaustible, recurring, expected):
    assert is_reusable(inexhaustible, recurring) is expected


def test_a_reusable_listing_stays_published_when_reserved_or_fulfilled_but_not_when_withdrawn():
    assert stays_published("reserve", reusable=True) and stays_published("fulfil", reusable=True)
    assert not stays_published("withdraw", reusable=True)
    assert not stays_published("reserve", reusable=False)
    assert transition("published", "fulfil", reusable=True).to_status == "published"
    assert transition("published", "withdraw", reusable=True).to_status == "withdrawn"
