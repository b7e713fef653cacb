"""The agreements' vocabularies are written once: constraints, labels, forms and tables derive from them."""

from __future__ import annotations

import inspect

import pytest

from mutualisation.agreements import effects, labels, lifecycle, models, outcomes, terms
from mutualisation.agreements.forms import ACTION_FORMS, KIND_CHOICES
from mutualisation.agreements.vocabulary import HUMAN_ACTIONS, Action, AgreementKind, Side, Status, values
from mutualisation.errors import RuleViolation
from mutualisation.listings.models import CONDITIONS, LOGISTICS


def _check_text(table, name: str) -> str:
    return next(str(c.sqltext) for c in table.__table__.constraints if c.name and c.name.endswith(f"_{name}"))


def test_the_status_check_constraint_lists_exactly_the_lifecycle_statuses_in_order():
    assert (
        _check_text(models.Agreement, "status") == f"status IN ({', '.join(repr(s) for s in values(Status))})"
    )
    assert tuple(s.value for s in Status) == models.STATUSES
    assert all(type(s) is str for s in models.STATUSES)


def test_every_status_action_kind_and_side_has_its_label():
    assert set(labels.STATUS_LABELS) == set(Status)
    assert set(labels.ACTION_LABELS) == set(labels.EVENT_LABELS) == {*Action, labels.CREATE, labels.EDIT}
    assert set(labels.DONE_MESSAGES) == set(Action)  # every action confirms in words (confirmations.py)
    assert set(labels.KIND_LABELS) == set(AgreementKind)
    assert set(labels.SIDE_LABELS) == set(Side)
    assert [value for value, _label in KIND_CHOICES] == list(values(AgreementKind))


def test_every_action_a_person_takes_has_its_form():
    assert set(ACTION_FORMS) == set(HUMAN_ACTIONS)


def test_every_action_has_a_resolver_and_every_effect_its_handler():
    assert set(lifecycle._RESOLVERS) == set(Action)
    effect_types = {
        cls
        for _name, cls in inspect.getmembers(outcomes, inspect.isclass)
        if issubclass(cls, outcomes.Effect)
    }
    assert set(effects.HANDLERS) == effect_types - {outcomes.Effect}


def _clean(raw, base=None):
    return terms.normalise_terms(raw, base or terms.EMPTY_TERMS, logistics=LOGISTICS, conditions=CONDITIONS)


def test_terms_merge_onto_the_previous_version_and_keep_only_known_fields():
    base = _clean({"kind": "loan", "lines": [{"description": "Podium", "quantity": "2"}]})
    merged = _clean({"deposit_eur": "150", "unknown": 1, "starts_on": "2030-06-01"}, base)
    assert merged["lines"] == [{"description": "Podium", "quantity": 2.0, "unit": None}]
    assert merged["deposit_eur"] == 150.0 and "unknown" not in merged
    assert str(merged["starts_on"]) == "2030-06-01"


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ({"kind": "gift", "lines": [{"description": "x"}]}, {"kind"}),
        ({"kind": "loan"}, {"lines"}),
        ({"kind": "loan", "lines": "podium"}, {"lines"}),
        (
            {"kind": "loan", "lines": [{"description": " ", "quantity": "1e400"}]},
            {"lines.0.description", "lines.0.quantity"},
        ),
        (
            {"kind": "loan", "lines": [{"description": "x"}], "deposit_eur": -1, "logistics": "drone"},
            {"deposit_eur", "logistics"},
        ),
        (
            {
                "kind": "loan",
                "lines": [{"description": "x"}],
                "starts_on": "2030-06-10",
                "ends_on": "2030-06-01",
            },
            {"ends_on"},
        ),
        (
            {"kind": "loan", "lines": [{"description": "x"}], "conditions": "barter", "ends_on": "soon"},
            {"conditions", "ends_on"},
        ),
    ],
)
def test_invalid_terms_name_each_wrong_field(raw, fields):
    with pytest.raises(RuleViolation) as caught:
        _clean(raw)
    assert set(caught.value.fields) == fields


def test_the_terms_diff_lists_changed_fields_in_order():
    old = {**terms.EMPTY_TERMS, "kind": "loan", "version": 1, "proposed_by_side": "provider"}
    new = {**old, "kind": "service", "deposit_eur": 20.0, "version": 2}
    assert terms.terms_diff(old, new) == [("deposit_eur", None, 20.0), ("kind", "loan", "service")]
