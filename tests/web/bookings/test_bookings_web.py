"""Bookable offers over HTTP: the 409 naming the dates, the availability API and page, the browse
filter, and the private iCalendar feeds parsed back with the `icalendar` library."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from icalendar import Calendar

from mutualisation.accounts.services import create_token
from tests.builders import csrf_token, login, make_listing, make_user

LOOS, MALAUNAY, LE_MENE, GRANDE_SYNTHE = "62528", "76402", "22046", "59271"


def _bearer(session, user) -> dict:
    _token, clear = create_token(session, user, "bookings")
    return {"Authorization": f"Bearer {clear}"}


def _request(client, headers, offer_id, starts_on, ends_on) -> int:
    terms = {
        "lines": [{"description": "Barnum 3 x 3 m", "quantity": 1, "unit": "barnum"}],
        "starts_on": starts_on,
        "ends_on": ends_on,
        "kind": "loan",
    }
    created = client.post("/api/v1/agreements", json={"offer_id": offer_id, "terms": terms}, headers=headers)
    assert created.status_code == 201, created.json
    agreement_id = created.json["id"]
    proposed = client.post(
        f"/api/v1/agreements/{agreement_id}/transitions",
        json={"action": "propose", "version": 0},
        headers=headers,
    )
    assert proposed.status_code == 200, proposed.json
    return agreement_id


def _accept(client, headers, agreement_id):
    return client.post(
        f"/api/v1/agreements/{agreement_id}/transitions",
        json={"action": "accept", "version": 1},
        headers=headers,
    )


def _staged(session, client):
    owner = make_user(session, "technician", LOOS)
    offer = make_listing(session, owner, "offer", title="3 barnums", quantity=3, bookable_units=3)
    loos = _bearer(session, owner)
    requesters = [
        make_user(session, "technician", code) for code in (MALAUNAY, LE_MENE, GRANDE_SYNTHE, MALAUNAY)
    ]
    return owner, offer, loos, requesters


def test_the_fourth_overlapping_acceptance_gets_a_409_naming_the_date(client, session):
    _owner, offer, loos, requesters = _staged(session, client)
    periods = [
        ("2030-06-01", "2030-06-10"),
        ("2030-06-08", "2030-06-12"),
        ("2030-06-10", "2030-06-20"),
        ("2030-06-09", "2030-06-11"),
    ]
    ids = [
        _request(client, _bearer(session, r), offer.id, *p) for r, p in zip(requesters, periods, strict=True)
    ]
    for agreement_id in ids[:3]:
        assert _accept(client, loos, agreement_id).status_code == 200
    refused = _accept(client, loos, ids[3])
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "conflict"
    assert error["fields"]["dates"] == ["2030-06-10"]
    assert "10 juin 2030" in error["message"]

    days = client.get(f"/api/v1/listings/{offer.id}/availability?from=2030-06-09&to=2030-06-11", headers=loos)
    assert days.status_code == 200
    # The fourth is still a proposal: tentative, but it takes nothing; the three accepted hold 10 June.
    assert [(d["date"], d["free"], d["accepted"], d["requested"], d["state"]) for d in days.json["days"]] == [
        ("2030-06-09", 1, 2, 1, "tentative"),
        ("2030-06-10", 0, 3, 1, "tentative"),
        ("2030-06-11", 1, 2, 1, "tentative"),
    ]
    full = client.get(
        "/api/v1/listings?available_from=2030-06-10&available_to=2030-06-10&per_page=100", headers=loos
    )
    assert offer.id not in [item["id"] for item in full.json["items"]]
    free = client.get(
        "/api/v1/listings?available_from=2030-06-21&available_to=2030-06-25&per_page=100", headers=loos
    )
    assert offer.id in [item["id"] for item in free.json["items"]]


def test_availability_answers_422_for_a_listing_that_is_not_bookable_or_a_bad_span(client, session):
    owner = make_user(session, "technician", LOOS)
    headers = _bearer(session, owner)
    plain = make_listing(session, owner, "offer")
    refused = client.get(f"/api/v1/listings/{plain.id}/availability", headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["listing"] == [
        "Cette offre n'est pas prêtée par unités\u00a0: elle n'a pas de calendrier des disponibilités."
    ]
    need = make_listing(session, owner, "need")
    refused = client.get(f"/api/v1/listings/{need.id}/availability", headers=headers)
    assert refused.status_code == 422
    assert "Cette offre" not in refused.json["error"]["message"]
    assert refused.json["error"]["fields"]["listing"] == [
        "Un besoin n'a pas de calendrier des disponibilités\u00a0: "
        "seules les offres prêtées par unités en ont un."
    ]
    bookable = make_listing(session, owner, "offer", bookable_units=2)
    bad = client.get(
        f"/api/v1/listings/{bookable.id}/availability?from=2030-06-10&to=2030-06-01", headers=headers
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/listings/999999/availability", headers=headers).status_code == 404


def test_the_calendar_page_shows_a_table_and_links_free_days_to_a_prefilled_request(client, session):
    owner = make_user(session, "technician", LOOS)
    offer = make_listing(session, owner, "offer", title="3 barnums", bookable_units=3, booking_buffer_days=1)
    visitor = make_user(session, "technician", MALAUNAY)
    login(client, visitor)
    page = client.get(f"/listings/{offer.id}/calendar?month=2030-06-01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<caption" in html and 'scope="col"' in html
    link = re.search(r'href="(/agreements/new\?[^"]*starts_on=2030-06-03[^"]*)"', html)
    assert link, "a free day links to a request"
    form = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="2030-06-03"' in form


def _feed_url(client, session, user, which):
    login(client, user)
    token = csrf_token(client, "/account/calendars")
    client.post(f"/account/calendars/{which}/regenerate", data={"csrf_token": token})
    page = client.get("/account/calendars").get_data(as_text=True)
    found = re.search(
        rf'value="https?://[^/"]+(/calendar/{"territory/" if which == "territory" else ""}[^"]+\.ics)"', page
    )
    assert found, page
    return found.group(1)


def test_the_private_feeds_parse_and_hold_the_handover_return_and_deadline_in_paris_time(client, session):
    owner, offer, loos, requesters = _staged(session, client)
    requester = requesters[0]
    agreement_id = _request(client, _bearer(session, requester), offer.id, "2030-06-01", "2030-06-10")
    assert _accept(client, loos, agreement_id).status_code == 200
    official = make_user(session, "official", LOOS)

    url = _feed_url(client, session, official, "user")
    client.get("/logout")
    response = client.get(url)  # no login: the token is the credential
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.data)
    assert calendar["X-WR-TIMEZONE"] == "Europe/Paris"
    events = {str(e["CATEGORIES"].cats[0]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"handover", "return", "deadline"}
    assert events["handover"].decoded("DTSTART") == dt.date(2030, 6, 1)
    assert events["return"].decoded("DTSTART") == dt.date(2030, 6, 10)
    deadline = events["deadline"].decoded("DTSTART")
    assert isinstance(deadline, dt.datetime) and deadline.tzinfo is not None
    assert events["deadline"]["DTSTART"].params["TZID"] == "Europe/Paris"
    assert deadline.utcoffset() == deadline.astimezone(ZoneInfo("Europe/Paris")).utcoffset()
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]

    territory_url = _feed_url(client, session, owner, "territory")
    territory = Calendar.from_ical(client.get(territory_url).data)
    (booking,) = territory.walk("VEVENT")
    assert booking.decoded("DTSTART") == dt.date(2030, 6, 1)
    assert booking.decoded("DTEND") == dt.date(2030, 6, 11)  # whole days: the end is exclusive
    assert "Malaunay" in str(booking["SUMMARY"]) and "3 barnums" in str(booking["SUMMARY"])

    # Renewing the address revokes the old one.
    token = csrf_token(client, "/account/calendars")
    client.post("/account/calendars/territory/regenerate", data={"csrf_token": token})
    assert client.get(territory_url).status_code == 404
    client.post("/account/calendars/territory/revoke", data={"csrf_token": token})
    assert "/calendar/territory/" not in client.get("/account/calendars").get_data(as_text=True)


def test_an_actor_has_no_territory_feed(client, session):
    actor = make_user(session, "actor", MALAUNAY)
    login(client, actor)
    token = csrf_token(client, "/account/calendars")
    response = client.post("/account/calendars/territory/regenerate", data={"csrf_token": token})
    assert response.status_code == 403
