"""Implausible numbers are refused everywhere, and the API never writes non-JSON (issue 10, item 5;
item 8's deposit overflowing numeric(12,2))."""

from __future__ import annotations

import html as htmllib
import json
import math
import re

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from mutualisation.accounts.services import create_token
from mutualisation.agreements.schemas import AgreementCreateSchema, AgreementTransitionSchema
from mutualisation.listings.models import Listing
from mutualisation.listings.schemas import ListingCreateSchema, ListingPatchSchema
from tests.builders import csrf_token, login, make_listing, make_user

IMPLAUSIBLE_TEXT = ["1e400", "-1e400", "inf", "nan", "Infinity", "99999999999999", "1e10"]
IMPLAUSIBLE_JSON = ["1e400", "-1e400", "NaN", "Infinity", "99999999999999", "1e10", "1" + "0" * 400]

LISTING = {
    "kind": "offer",
    "category": "equipment",
    "subcategory": "event_equipment",
    "title": "Podium",
    "logistics": "both",
    "conditions": "loan",
}


def strict_json(raw: str):
    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(raw, parse_constant=refuse)


@pytest.fixture
def bearer(session):
    _token, clear = create_token(session, make_user(session, "technician", "76402"), "numbers")
    return {"Authorization": f"Bearer {clear}"}


def test_the_listing_form_refuses_implausible_numbers_with_a_french_field_error(client, session):
    login(client, make_user(session, "technician", "76402"))
    token = csrf_token(client, "/listings/new")
    for field in ("quantity", "deposit_eur", "max_distance_km"):
        for value in IMPLAUSIBLE_TEXT:
            response = client.post("/listings/new", data=LISTING | {field: value, "csrf_token": token})
            page = htmllib.unescape(response.get_data(as_text=True))
            assert response.status_code == 200, (field, value)
            assert (
                "Saisissez un nombre fini." in page or "Ce nombre est trop grand pour être plausible." in page
            )
    assert session.scalar(select(Listing.id)) is None


def test_the_listing_api_refuses_implausible_numbers(client, session, bearer):
    for field in ("quantity", "deposit_eur", "max_distance_km"):
        for raw in IMPLAUSIBLE_JSON:
            body = json.dumps(LISTING)[:-1] + f', "{field}": {raw}}}'
            response = client.post(
                "/api/v1/listings", data=body, content_type="application/json", headers=bearer
            )
            assert response.status_code in (400, 422), (field, raw, response.status_code)
            assert response.get_json()["error"]["code"] == "validation_error"
    assert session.scalar(select(Listing.id)) is None


def test_agreement_terms_refuse_implausible_quantities_and_deposits(client, session, bearer):
    offer = make_listing(session, make_user(session, "technician", "62528"))
    for raw in IMPLAUSIBLE_JSON:
        for terms in (
            f'{{"deposit_eur": {raw}}}',
            f'{{"lines": [{{"description": "x", "quantity": {raw}}}]}}',
        ):
            body = f'{{"offer_id": {offer.id}, "terms": {terms}}}'
            response = client.post(
                "/api/v1/agreements", data=body, content_type="application/json", headers=bearer
            )
            assert response.status_code in (400, 422), (terms, response.status_code)


@pytest.mark.parametrize("value", [1e400, float("nan"), 99_999_999_999_999, 1e10])
def test_every_number_of_the_listing_and_agreement_schemas_is_bounded(value):
    """The schemas themselves, field by field: evaluations included."""
    cases = [
        (ListingCreateSchema(), LISTING, ["quantity", "deposit_eur", "max_distance_km"]),
        (ListingPatchSchema(), {"version": 1}, ["quantity", "deposit_eur", "max_distance_km"]),
        (
            AgreementTransitionSchema(),
            {"action": "evaluate"},
            ["money_saved_eur", "replacement_value_eur", "costs_eur", "kg_diverted", "km_travelled"],
        ),
    ]
    for schema, base, names in cases:
        for name in names:
            with pytest.raises(ValidationError) as caught:
                schema.load(base | {name: value})
            assert name in caught.value.messages
    with pytest.raises(ValidationError):
        AgreementCreateSchema().load({"offer_id": 1, "terms": {"deposit_eur": value}})


@pytest.mark.parametrize("field", ["money_saved_eur", "kg_diverted", "km_travelled"])
def test_the_evaluation_form_refuses_implausible_numbers(app, field):
    from werkzeug.datastructures import MultiDict

    from mutualisation.agreements.forms import EvaluationForm

    for value in ("1e400", "NaN", "99999999999999"):
        with app.test_request_context(method="POST", data={field: value}):
            form = EvaluationForm(
                formdata=MultiDict({field: value, "satisfaction": "5"}), meta={"csrf": False}
            )
            assert not form.validate()
            assert form[field].errors, (field, value)


def test_a_stored_infinity_is_written_as_null_never_as_non_json(client, session, bearer):
    owner = make_user(session, "technician", "62528")
    make_listing(session, owner, quantity=math.inf, deposit_eur=None)
    response = client.get("/api/v1/listings", headers=bearer)
    assert response.status_code == 200
    items = strict_json(response.get_data(as_text=True))["items"]
    assert [item["quantity"] for item in items] == [None]


def test_the_agreement_form_refuses_an_infinite_line_quantity(client, session):
    offer = make_listing(session, make_user(session, "technician", "62528"), "offer")
    login(client, make_user(session, "technician", "76402"))
    page = client.get(f"/agreements/new?offer_id={offer.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    for field, value in (("lines-0-quantity", "1e400"), ("deposit_eur", "1e10"), ("lines-0-quantity", "NaN")):
        form = {"csrf_token": token, "lines-0-description": "Barnum", "kind": "loan", field: value}
        response = client.post(f"/agreements/new?offer_id={offer.id}", data=form)
        assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True), (field, value)
