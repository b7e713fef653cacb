"""The whole agreement journey through the JSON API only, each person with their own Bearer token."""

from __future__ import annotations

from mutualisation.accounts.services import create_token
from tests.builders import make_listing, make_user

LOOS, MALAUNAY = "62528", "76402"


def _bearer(session, user) -> dict:
    _token, clear = create_token(session, user, "journey")
    return {"Authorization": f"Bearer {clear}"}


def test_a_loan_goes_from_request_to_both_evaluations_through_the_api(client, session):
    loos_tech = make_user(session, "technician", LOOS)
    mal_tech = make_user(session, "technician", MALAUNAY)
    loos = _bearer(session, loos_tech)
    mal = _bearer(session, mal_tech)
    loos_official = _bearer(session, make_user(session, "official", LOOS))
    mal_official = _bearer(session, make_user(session, "official", MALAUNAY))
    offer = make_listing(session, loos_tech, "offer", title="Podium modulaire 6 x 4 m")

    created = client.post(
        "/api/v1/agreements",
        json={
            "offer_id": offer.id,
            "terms": {
                "lines": [
                    {"description": "Podium modulaire 6 x 4 m", "quantity": 1, "unit": "lot"},
                    {"description": "Escalier d'accès", "quantity": 2, "unit": "unité"},
                ],
                "starts_on": "2030-06-01",
                "ends_on": "2030-06-08",
                "kind": "loan",
                "deposit_eur": 150,
            },
        },
        headers=mal,
    )
    assert created.status_code == 201, created.json
    agreement_id = created.json["id"]
    assert created.json["status"] == "draft"
    assert [line["description"] for line in created.json["terms"]["lines"]] == [
        "Podium modulaire 6 x 4 m",
        "Escalier d'accès",
    ]
    url = f"/api/v1/agreements/{agreement_id}/transitions"

    def act(headers, action, expected, **fields):
        version = client.get(f"/api/v1/agreements/{agreement_id}", headers=headers).json["version"]
        response = client.post(url, json={"action": action, "version": version, **fields}, headers=headers)
        assert response.status_code == 200, (action, response.json)
        assert response.json["status"] == expected, (action, response.json["status"])
        return response.json

    act(mal, "propose", "proposed")
    assert "accept" in client.get(f"/api/v1/agreements/{agreement_id}", headers=loos).json["allowed_actions"]
    act(loos, "accept", "pending_approval", comment="D'accord pour ces dates.")
    act(mal_official, "approve", "pending_approval", decision_reference="Délibération 2026-42")
    approved = act(loos_official, "approve", "approved")
    references = {a["territory"]: a.get("decision_reference") for a in approved["approvals"]}
    assert references == {MALAUNAY: "Délibération 2026-42", LOOS: None}
    assert approved["convention_url"]
    act(mal_official, "sign", "approved")
    act(loos_official, "sign", "signed")
    act(mal, "start", "in_progress", report="Podium complet, deux escaliers, bon état.")
    # Only the provider records the return.
    refused = client.post(url, json={"action": "return", "version": 1, "report": "Rendu"}, headers=mal)
    assert refused.status_code == 403
    act(loos, "return", "returned", report="Rendu complet, propre, aucune rayure.")
    act(mal, "complete", "completed")
    act(
        mal,
        "evaluate",
        "completed",
        satisfaction=5,
        km_travelled=240,
        vehicle="van",
        lessons_learned="Prévoir deux agents.",
    )
    final = act(loos, "evaluate", "evaluated", satisfaction=4)
    assert {e["side"] for e in final["evaluations"]} == {"provider", "beneficiary"}
    assert final["allowed_actions"] == []

    history = client.get(f"/api/v1/agreements/{agreement_id}/history", headers=loos).json["items"]
    steps = [(e["action"], e["to_status"]) for e in history]
    assert steps == [
        ("create", "draft"),
        ("propose", "proposed"),
        ("accept", "accepted"),
        ("accept", "pending_approval"),
        ("approve", "pending_approval"),
        ("approve", "approved"),
        ("sign", "approved"),
        ("sign", "signed"),
        ("start", "in_progress"),
        ("return", "returned"),
        ("complete", "completed"),
        ("evaluate", "completed"),
        ("evaluate", "evaluated"),
    ]
    # The listing followed the agreement, and a stranger still cannot read it.
    stranger = _bearer(session, make_user(session, "technician", "22046"))
    assert client.get(f"/api/v1/agreements/{agreement_id}", headers=stranger).status_code == 403


def test_a_stale_version_through_the_api_is_a_conflict_not_an_overwrite(client, session):
    loos_tech = make_user(session, "technician", LOOS)
    mal = _bearer(session, make_user(session, "technician", MALAUNAY))
    offer = make_listing(session, loos_tech, "offer")
    agreement_id = client.post("/api/v1/agreements", json={"offer_id": offer.id}, headers=mal).json["id"]
    url = f"/api/v1/agreements/{agreement_id}/transitions"
    assert client.post(url, json={"action": "propose", "version": 0}, headers=mal).status_code == 200
    loos = _bearer(session, loos_tech)
    stale = client.post(url, json={"action": "accept", "version": 0}, headers=loos)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    assert client.get(f"/api/v1/agreements/{agreement_id}", headers=loos).json["status"] == "proposed"
