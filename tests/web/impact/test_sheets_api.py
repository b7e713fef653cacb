"""The sheets API over real HTTP: public reads, token writes, 409 on a stale version, roles."""

from __future__ import annotations

from tests.builders import bearer, make_agreement, make_user
from tests.sheet_builders import make_evaluated_agreement, make_sheet

LOOS, MALAUNAY = "62528", "76402"


def test_a_visitor_lists_and_reads_published_sheets_but_not_drafts(client, session, people):
    published = make_sheet(session, people["loos_tech"], people["loos_official"], themes=["energy"])
    draft = make_sheet(session, people["loos_tech"], title="Brouillon secret")
    listed = client.get("/api/v1/sheets?per_page=5")
    assert listed.status_code == 200
    assert set(listed.json) == {"items", "page", "per_page", "total"}
    assert [s["id"] for s in listed.json["items"]] == [published.id] and listed.json["per_page"] == 5
    sheet = client.get(f"/api/v1/sheets/{published.id}").json
    for key in ("id", "title", "themes", "territory", "status", "version", "licence", "results", "reactions"):
        assert key in sheet
    assert sheet["licence"] == "CC-BY-SA-4.0" and sheet["territory"] == {
        "code": LOOS,
        "name": "Loos-en-Gohelle",
    }
    assert "email" not in str(sheet) and people["loos_tech"].name not in str(sheet)
    missing = client.get(f"/api/v1/sheets/{draft.id}")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/sheets?theme=energy&territory={LOOS}").json["total"] == 1
    assert client.get("/api/v1/sheets?theme=food").json["total"] == 0


def test_bad_filters_are_a_422_and_an_anonymous_write_a_401(client, session, people):
    assert client.get("/api/v1/sheets?per_page=1000").status_code == 422
    created = client.post("/api/v1/sheets", json={"title": "x"})
    assert created.status_code == 401 and created.json["error"]["code"] == "unauthorized"


def test_create_edit_with_version_and_publish_through_the_api(client, session, people):
    loos = bearer(session, people["loos_tech"])
    created = client.post(
        "/api/v1/sheets", json={"title": "Vélos partagés", "themes": ["mobility"]}, headers=loos
    )
    assert created.status_code == 201 and created.json["status"] == "draft"
    url = f"/api/v1/sheets/{created.json['id']}"
    edited = client.patch(url, json={"version": 1, "method": "Étape 1"}, headers=loos)
    assert edited.status_code == 200 and edited.json["version"] == 2
    stale = client.patch(url, json={"version": 1, "method": "Autre"}, headers=loos)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    bad = client.patch(url, json={"version": 2, "themes": ["astrologie"]}, headers=loos)
    assert bad.status_code == 422 and "themes" in bad.json["error"]["fields"]
    assert client.post(f"{url}/publish", headers=loos).status_code == 403
    other = client.post(f"{url}/publish", headers=bearer(session, people["mal_official"]))
    assert other.status_code == 404
    ok = client.post(f"{url}/publish", headers=bearer(session, people["loos_official"]))
    assert ok.status_code == 200 and ok.json["status"] == "published"
    revisions = client.get(f"{url}/revisions").json["items"]
    assert [r["version"] for r in revisions] == [1, 2]
    assert (
        revisions[1]["changes"][0]["field"] == "method" and "+Étape 1" in revisions[1]["changes"][0]["diff"]
    )
    assert revisions[1]["author_role"] == "technician"


def test_peers_react_and_contradictions_are_counted(client, session, people):
    sheet = make_sheet(session, people["loos_tech"], people["loos_official"])
    url = f"/api/v1/sheets/{sheet.id}/reactions"
    mal = bearer(session, people["mal_tech"])
    assert (
        client.post(url, json={"kind": "reuse", "body": "Repris à Malaunay"}, headers=mal).status_code == 201
    )
    answer = client.post(url, json={"kind": "contradiction", "body": "Pas chez nous"}, headers=mal)
    assert answer.status_code == 201 and answer.json["territory"]["code"] == MALAUNAY
    assert client.post(url, json={"kind": "like", "body": "x"}, headers=mal).status_code == 422
    body = client.get(f"/api/v1/sheets/{sheet.id}").json
    assert body["contradictions"] == 1 and [r["kind"] for r in body["reactions"]] == [
        "reuse",
        "contradiction",
    ]


def test_a_party_is_told_a_sheet_waits_for_each_sides_evaluation(client, session, people):
    agreement = make_agreement(session, people["mal_tech"], people["loos_tech"], "completed")
    answer = client.post(
        f"/api/v1/agreements/{agreement.id}/sheet", headers=bearer(session, people["mal_tech"])
    )
    assert answer.status_code == 422
    assert answer.json["error"]["message"] == (
        "Une fiche se rédige à partir d'une convention une fois que chaque partie a déposé son évaluation."
    )


def test_a_party_drafts_a_sheet_from_an_evaluated_agreement_through_the_api(client, session, people):
    agreement = make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    url = f"/api/v1/agreements/{agreement.id}/sheet"
    assert client.post(url, headers=bearer(session, people["mal_official"])).status_code == 201
    answer = client.post(url, headers=bearer(session, people["loos_tech"]))
    assert answer.status_code == 201 and answer.json["results"]["agreements_completed"] == 1
    assert answer.json["agreement_ids"] == [agreement.id]
    stranger = make_user(session, "technician", "22046")
    assert client.post(url, headers=bearer(session, stranger)).status_code == 404
