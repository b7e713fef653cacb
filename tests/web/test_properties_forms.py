"""Property-based tests (issue 10): whatever a person types into the listing and agreement forms,
and whatever a client sends to their API endpoints, the answer is a 2xx, 3xx or 4xx, never a 5xx,
on both databases."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutualisation.accounts.services import create_token
from tests.builders import csrf_token, login, make_listing, make_user

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a browser can send: any text without lone surrogates (a form is UTF-8 encoded first).
typed_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
numberish = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e400", "-0", "1,5", "99999999999999", "NaN", " 3 ", "0x10", "1_000"]),
)
form_value = st.one_of(typed_text, numberish, st.sampled_from(["", "on", "2026-02-30", "2030-06-01"]))

LISTING_FIELDS = [
    "kind", "category", "subcategory", "title", "description", "quantity", "unit", "available_from",
    "available_until", "recurring", "inexhaustible", "remote_possible", "logistics", "max_distance_km",
    "conditions", "deposit_eur", "insurance_required", "address", "latitude", "longitude",
]  # fmt: skip
TERMS_FIELDS = [
    "lines-0-description", "lines-0-quantity", "lines-0-unit", "lines-1-quantity", "starts_on", "ends_on",
    "kind", "logistics", "conditions", "deposit_eur", "insurance_required",
]  # fmt: skip

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["offer", "need", "equipment", "loan", "both", "2030-06-01", "\x00", "\ud800"]),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)


def payloads(names: list[str]) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(names), json_value, max_size=len(names))


LISTING_JSON = payloads([*LISTING_FIELDS, "publish", "version"])
TERMS_JSON = st.fixed_dictionaries(
    {},
    optional={
        "lines": st.lists(payloads(["description", "quantity", "unit"]), max_size=3) | json_value,
        "starts_on": json_value,
        "ends_on": json_value,
        "deposit_eur": json_value,
        "kind": json_value,
        "logistics": json_value,
        "conditions": json_value,
    },
)


def _json_body(document) -> str:
    # ensure_ascii keeps lone surrogates as \ud800 escapes, as a client library would send them.
    return json.dumps(document)


@pytest.fixture
def people(session):
    loos, malaunay = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    return loos, malaunay, make_listing(session, loos, "offer")


@pytest.fixture
def bearer(session, people):
    _token, clear = create_token(session, people[1], "properties")
    return {"Authorization": f"Bearer {clear}"}


def test_any_listing_form_gets_a_page_or_a_redirect_never_a_500(client, people):
    login(client, people[1])
    token = csrf_token(client, "/listings/new")

    @PROPERTY_SETTINGS
    @given(form=st.dictionaries(st.sampled_from(LISTING_FIELDS), form_value))
    def check(form):
        response = client.post("/listings/new", data=form | {"csrf_token": token})
        assert response.status_code in (200, 302, 400, 409, 422), (form, response.status_code)

    check()


def test_any_agreement_form_gets_a_page_or_a_redirect_never_a_500(client, people):
    offer = people[2]
    login(client, people[1])
    page = client.get(f"/agreements/new?offer_id={offer.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    @PROPERTY_SETTINGS
    @given(form=st.dictionaries(st.sampled_from(TERMS_FIELDS), form_value))
    def check(form):
        response = client.post(f"/agreements/new?offer_id={offer.id}", data=form | {"csrf_token": token})
        assert response.status_code in (200, 302, 400, 409, 422), (form, response.status_code)

    check()


def test_any_listing_payload_gets_a_2xx_or_a_json_4xx(client, people, bearer):
    listing = people[2]

    @PROPERTY_SETTINGS
    @given(body=LISTING_JSON, patch=LISTING_JSON)
    def check(body, patch):
        for method, url, document in (
            ("POST", "/api/v1/listings", body),
            ("PATCH", f"/api/v1/listings/{listing.id}", patch),
        ):
            response = client.open(
                url, method=method, data=_json_body(document), content_type="application/json", headers=bearer
            )
            assert response.status_code < 500, (method, document, response.get_data(as_text=True)[:300])
            if response.status_code >= 400:
                assert response.get_json()["error"]["code"], document

    check()


def test_any_agreement_payload_gets_a_2xx_or_a_json_4xx(client, people, bearer):
    offer = people[2]

    @PROPERTY_SETTINGS
    @given(terms=TERMS_JSON, extra=payloads(["offer_id", "need_id"]))
    def check(terms, extra):
        document = {"offer_id": offer.id, "terms": terms} | extra
        response = client.post(
            "/api/v1/agreements", data=_json_body(document), content_type="application/json", headers=bearer
        )
        assert response.status_code < 500, (document, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"], document

    check()
