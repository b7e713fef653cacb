"""The list endpoint builds its items without marshmallow: they must stay what ListingSchema dumps."""

from __future__ import annotations

from datetime import date

from mutualisation.accounts.services import create_token
from mutualisation.listings.schemas import ListingSchema
from tests.builders import make_listing, make_territory, make_user


def bearer(session, user):
    _token, clear = create_token(session, user, "tests")
    session.commit()
    return {"Authorization": f"Bearer {clear}"}


def schema_dump(listing, distance_km=None):
    if distance_km is not None:
        listing.distance_km = distance_km
    return ListingSchema().dump(listing)


def test_listed_items_are_exactly_what_the_listing_schema_dumps(app, client, session):
    make_territory(session, "62528")
    owner = make_user(session, "technician", "76402", name="", organisation="Mairie")
    full = make_listing(
        session,
        owner,
        kind="need",
        description="Un broyeur pour le printemps",
        quantity=2.5,
        available_from=date(2030, 1, 2),
        available_until=date(2030, 3, 4),
        recurring=True,
        remote_possible=True,
        max_distance_km=80,
        deposit_eur=150,
        insurance_required=True,
        address="1 place de la Mairie",
        withdrawal_reason=None,
    )
    bare = make_listing(
        session, owner, quantity=None, unit=None, subcategory=None, latitude=None, longitude=None
    )
    headers = bearer(session, owner)
    session.expire_all()

    page = client.get("/api/v1/listings", headers=headers).get_json()
    near = client.get("/api/v1/listings?near=62528&radius_km=300", headers=headers).get_json()
    item = near["items"][0]
    # The unnamed owner is named by role and town, in the request's language (French by default).
    with app.test_request_context("/api/v1/listings"):
        assert page["items"] == [schema_dump(bare), schema_dump(full)]
        assert near["total"] == 1
        assert item == schema_dump(full, item["distance_km"]) and isinstance(item["distance_km"], float)


def test_the_openapi_document_still_describes_the_list_response(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    response = spec["paths"]["/api/v1/listings"]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/ListingPage")
    listing = spec["components"]["schemas"]["Listing"]["properties"]
    assert {"id", "title", "owner", "territory", "distance_km"} <= set(listing)
