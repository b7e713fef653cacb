"""The public contract (the project's API.md): every path, method, query parameter and field name it
names is in the OpenAPI document, so that a rename fails here before it reaches an integrator.

The names below are copied from API.md on purpose: the contract may grow, never rename."""

from __future__ import annotations

import pytest

from mutualisation.territories.models import TerritoryPostcode
from tests.builders import login, make_listing, make_territory, make_user

PATHS = {
    "/api/v1/auth/tokens": {"post"},
    "/api/v1/territories": {"get"},
    "/api/v1/territories/{code}": {"get"},
    "/api/v1/me": {"get"},
    "/api/v1/listings": {"get", "post"},
    "/api/v1/listings/{listing_id}": {"get", "patch"},
    "/api/v1/listings/{listing_id}/publish": {"post"},
    "/api/v1/listings/{listing_id}/withdraw": {"post"},
    "/api/v1/listings/map": {"get"},
    "/api/v1/listings/{listing_id}/renew": {"post"},
    "/api/v1/listings/{listing_id}/duplicate": {"post"},
    "/api/v1/listings/{listing_id}/history": {"get"},
    "/api/v1/categories": {"get"},
    "/api/v1/listings/{listing_id}/suggestions": {"get"},
    "/api/v1/suggestions/{suggestion_id}/dismiss": {"post"},
    "/api/v1/suggestions/{suggestion_id}/accept": {"post"},
    "/api/v1/agreements": {"get", "post"},
    "/api/v1/agreements/{agreement_id}": {"get", "patch"},
    "/api/v1/agreements/{agreement_id}/transitions": {"post"},
    "/api/v1/agreements/{agreement_id}/history": {"get"},
    "/api/v1/agreements/{agreement_id}/convention.pdf": {"get"},
    "/api/v1/notifications": {"get"},
    "/api/v1/notifications/{notification_id}/read": {"post"},
    "/api/v1/listings/{listing_id}/messages": {"get", "post"},
    "/api/v1/agreements/{agreement_id}/messages": {"get", "post"},
    "/api/v1/conversations": {"get"},
    "/api/v1/alerts": {"get", "post"},
    "/api/v1/alerts/{alert_id}": {"delete"},
    "/api/v1/sheets": {"get", "post"},
    "/api/v1/sheets/{sheet_id}": {"get", "patch"},
    "/api/v1/sheets/{sheet_id}/revisions": {"get"},
    "/api/v1/sheets/{sheet_id}/publish": {"post"},
    "/api/v1/sheets/{sheet_id}/reactions": {"post"},
    "/api/v1/agreements/{agreement_id}/sheet": {"post"},
    "/api/v1/impact": {"get"},
    "/api/v1/exports/{name}.{fmt}": {"get"},
    "/api/v1/exports/datapackage.json": {"get"},
    "/api/v1/auth/password-reset": {"post"},
    "/api/v1/auth/password-reset/confirm": {"post"},
    "/api/v1/invitations": {"get", "post"},
    "/api/v1/invitations/{invitation_id}": {"delete"},
    "/api/v1/join-requests": {"post"},
    "/api/v1/listings/{listing_id}/availability": {"get"},
}

QUERY = {
    "/api/v1/territories": {"q", "page", "per_page"},
    "/api/v1/listings": {
        "kind",
        "category",
        "subcategory",
        "q",
        "near",
        "radius_km",
        "status",
        "page",
        "per_page",
    },
    "/api/v1/agreements": {"status", "page", "per_page"},
    "/api/v1/sheets": {"q", "theme", "territory"},
    "/api/v1/impact": {"territory", "category", "year"},
    "/api/v1/listings/{listing_id}/availability": {"from", "to"},
}

LISTING_FIELDS = {
    "kind", "category", "subcategory", "title", "description", "quantity", "unit", "available_from",
    "available_until", "recurring", "inexhaustible", "remote_possible", "logistics", "max_distance_km",
    "conditions", "deposit_eur", "insurance_required", "latitude", "longitude", "address",
}  # fmt: skip
PAGE = {"items", "page", "per_page", "total"}

FIELDS = {
    "TokenRequest": {"email", "password"},
    "TokenResponse": {"token"},
    "Territory": {"code", "name", "latitude", "longitude", "department", "population"},
    "Listing": LISTING_FIELDS | {"territory", "status", "owner"},
    "ListingCreate": LISTING_FIELDS,
    "ListingPage": PAGE,
    "Withdraw": {"reason"},
    "Suggestion": {"id", "offer_id", "need_id", "score", "distance_km", "breakdown"},
    "SuggestionPage": PAGE,
    "Dismiss": {"reason", "text"},
    "Agreement": {"status", "version", "parties", "approvals", "allowed_actions", "convention_sha256"},
    "AgreementPage": PAGE,
    "AgreementCreate": {"offer_id", "need_id", "terms"},
    "AgreementPatch": {"version", "terms", "comment"},
    "AgreementTransition": {
        "action",
        "version",
        "comment",
        "reason",
        "decision_reference",
        "decision_kind",
        "decision_date",
        "terms",
        "report",
        "ends_on",
        "decision",
        "satisfaction",
        "money_saved_eur",
        "kg_diverted",
        "km_travelled",
        "vehicle",
        "lessons_learned",
        "replacement_value_eur",
        "costs_eur",
    },
    "AgreementTermsIn": {
        "lines",
        "starts_on",
        "ends_on",
        "logistics",
        "conditions",
        "deposit_eur",
        "insurance_required",
        "kind",
    },
    "AgreementTermsLine": {"description", "quantity", "unit"},
    "AgreementApproval": {"decision_kind", "decision_reference", "decision_date"},
    "MessageIn": {"body"},
    "Message": {"id", "author", "body", "created_at"},
    "AlertCreate": {"kind", "category", "subcategory", "q", "near", "radius_km"},
    "AlertPage": PAGE,
    "SheetReactionCreate": {"kind", "body"},
    "Impact": {
        "agreements_completed",
        "money_saved_eur",
        "kg_diverted",
        "co2e_kg",
        "km_travelled",
        "by_month",
    },
    "ResetRequest": {"email"},
    "ResetConfirm": {"token", "password"},
    "InvitationCreate": {"email", "role", "territory"},
    "JoinRequestCreate": {"territory", "name", "email", "motivation"},
    "Day": {"free", "booked"},
}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_documented_path_is_served_with_its_methods(spec):
    for path, methods in PATHS.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, methods - set(spec["paths"][path]))


def test_every_documented_query_parameter_keeps_its_name(spec):
    for path, names in QUERY.items():
        described = {
            p["name"] for p in spec["paths"][path]["get"].get("parameters", []) if p["in"] == "query"
        }
        assert names <= described, (path, names - described)


def test_every_documented_field_keeps_its_name(spec):
    schemas = spec["components"]["schemas"]
    for schema, names in FIELDS.items():
        assert schema in schemas, schema
        described = set(schemas[schema].get("properties", {}))
        assert names <= described, (schema, names - described)


def test_the_conversations_list_is_paginated_as_every_list(spec):
    assert set(spec["components"]["schemas"]["ConversationList"]["properties"]) >= PAGE


def test_near_takes_an_insee_code_even_when_it_is_also_another_communes_postcode(client, session):
    # Châtenay's INSEE code is 01090; 01090 is also the postcode of other Ain communes.
    chatenay = make_territory(session, "01090", name="Châtenay", latitude=46.1, longitude=5.2)
    neighbour = make_territory(session, "01165", name="Guéreins", latitude=46.1, longitude=4.78)
    neighbour.postcodes.append(TerritoryPostcode(postcode="01090"))
    session.flush()
    owner = make_user(session, "technician", chatenay.code)
    make_listing(session, owner, title="Broyeur de Châtenay")
    login(client, make_user(session, "technician", "62528"))

    response = client.get("/api/v1/listings", query_string={"near": "01090", "radius_km": 5})

    assert response.status_code == 200, response.get_json()
    assert [i["title"] for i in response.get_json()["items"]] == ["Broyeur de Châtenay"]
