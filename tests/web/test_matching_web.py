"""Suggestions through HTTP: pages, API, permissions, idempotent acceptance, the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mutualisation.audit.models import AuditEvent
from mutualisation.matching import engine
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import MatchingConfig
from tests.builders import PASSWORD, csrf_token, login, make_user
from tests.builders import make_neutral_listing as make_listing


def network(session):
    grande_synthe = make_user(session, "technician", "59271")
    malaunay = make_user(session, "technician", "76402")
    stranger = make_user(session, "technician", "22046")
    offer = make_listing(session, grande_synthe, kind="offer", subcategory="wood_chipper", title="Broyeur")
    need = make_listing(
        session,
        malaunay,
        kind="need",
        subcategory="wood_chipper",
        title="Besoin broyeur",
        max_distance_km=300.0,
    )
    offer.max_distance_km = 300.0
    session.flush()
    engine.full_recompute(session, MatchingConfig(), coop=[])
    suggestion = session.scalars(select(Suggestion)).one()
    return grande_synthe, malaunay, stranger, offer, need, suggestion


def token(client, user) -> dict:
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_listing_suggestions_are_listed_with_breakdown_through_the_api(client, session):
    _gs, malaunay, _stranger, offer, need, suggestion = network(session)
    response = client.get(f"/api/v1/listings/{need.id}/suggestions", headers=token(client, malaunay))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["id"], item["offer_id"], item["need_id"], item["status"]) == (
        suggestion.id,
        offer.id,
        need.id,
        "active",
    )
    assert item["distance_km"] > 100 and 0 < item["score"] <= 1
    assert {c["criterion"] for c in item["breakdown"]} >= {"subcategory", "distance"}


def test_suggestions_of_a_listing_need_authentication(client, session):
    *_rest, need, _s = network(session)
    assert client.get(f"/api/v1/listings/{need.id}/suggestions").status_code == 401


def test_another_territory_cannot_accept_or_dismiss(client, session):
    _gs, _m, stranger, _o, _n, suggestion = network(session)
    headers = token(client, stranger)
    assert client.post(f"/api/v1/suggestions/{suggestion.id}/accept", headers=headers).status_code == 403
    response = client.post(
        f"/api/v1/suggestions/{suggestion.id}/dismiss", json={"reason": "too_far"}, headers=headers
    )
    assert response.status_code == 403
    session.refresh(suggestion)
    assert suggestion.status == "active"


def test_accepting_twice_gives_one_accepted_state(client, session):
    _gs, malaunay, *_rest, suggestion = network(session)
    headers = token(client, malaunay)
    first = client.post(f"/api/v1/suggestions/{suggestion.id}/accept", headers=headers)
    second = client.post(f"/api/v1/suggestions/{suggestion.id}/accept", headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["status"] == "draft"
    session.refresh(suggestion)
    assert suggestion.status == "accepted" and suggestion.agreement_id == first.get_json()["id"]
    from sqlalchemy import func, select

    from mutualisation.agreements.models import Agreement

    drafts = session.scalar(
        select(func.count()).select_from(Agreement).where(Agreement.offer_id == suggestion.offer_id)
    )
    assert drafts == 1


def test_accepting_on_the_page_opens_the_prefilled_draft(client, session):
    _gs, malaunay, *_rest, suggestion = network(session)
    login(client, malaunay)
    response = client.post(
        f"/suggestions/{suggestion.id}/accept", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 302
    session.refresh(suggestion)
    assert response.headers["Location"].endswith(f"/agreements/{suggestion.agreement_id}")


def test_dismissing_needs_a_known_reason_and_keeps_it(client, session):
    grande_synthe, *_rest, suggestion = network(session)
    headers = token(client, grande_synthe)
    bad = client.post(
        f"/api/v1/suggestions/{suggestion.id}/dismiss", json={"reason": "bored"}, headers=headers
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/api/v1/suggestions/{suggestion.id}/dismiss", json={"reason": "too_far"}, headers=headers
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "dismissed"
    session.refresh(suggestion)
    assert suggestion.dismiss_reason == "too_far"


def test_listing_page_shows_suggestions_and_dismisses_with_a_reason(client, session):
    _gs, malaunay, _stranger, _offer, need, suggestion = network(session)
    login(client, malaunay)
    path = f"/listings/{need.id}/suggestions"
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Broyeur" in html and "km" in html and "même sous-catégorie" in html
    response = client.post(
        f"/suggestions/{suggestion.id}/dismiss",
        data={"csrf_token": csrf_token(client, path), "reason": "dates_dont_fit", "next": path},
    )
    assert response.status_code == 302
    session.refresh(suggestion)
    assert (suggestion.status, suggestion.dismiss_reason) == ("dismissed", "dates_dont_fit")


def test_a_dismissal_is_taken_back_through_the_api_by_a_side_of_the_pair_only(client, session):
    grande_synthe, malaunay, stranger, _offer, _need, suggestion = network(session)
    path = f"/api/v1/suggestions/{suggestion.id}"
    dismissed = client.post(
        f"{path}/dismiss", json={"reason": "too_far"}, headers=token(client, grande_synthe)
    )
    assert dismissed.status_code == 200
    refused = client.post(f"{path}/restore", headers=token(client, stranger))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.post(f"{path}/restore").status_code == 401
    restored = client.post(f"{path}/restore", headers=token(client, malaunay))  # the other side may
    assert restored.status_code == 200 and restored.get_json()["status"] == "active"
    session.refresh(suggestion)
    assert (suggestion.status, suggestion.dismiss_reason, suggestion.dismiss_text) == ("active", None, None)
    again = client.post(f"{path}/restore", headers=token(client, malaunay))
    assert again.status_code == 200 and again.get_json()["status"] == "active"  # nothing to take back
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "suggestion.restored")).all()
    assert [e.object_id for e in events] == [str(suggestion.id)]
    missing = client.post("/api/v1/suggestions/999999/restore", headers=token(client, malaunay))
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("status", "ranks"), [("accepted", (0, 0)), ("dismissed", (None, None))], ids=["accepted", "unranked"]
)
def test_only_a_dismissal_still_ranked_is_taken_back(client, session, status, ranks):
    grande_synthe, *_rest, suggestion = network(session)
    suggestion.status, (suggestion.offer_rank, suggestion.need_rank) = status, ranks
    session.commit()
    response = client.post(
        f"/api/v1/suggestions/{suggestion.id}/restore", headers=token(client, grande_synthe)
    )
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["message"]
    session.refresh(suggestion)
    assert suggestion.status == status


def test_the_listing_page_takes_a_dismissal_back(client, session):
    _gs, malaunay, _stranger, _offer, need, suggestion = network(session)
    login(client, malaunay)
    path = f"/listings/{need.id}/suggestions"
    client.post(
        f"/suggestions/{suggestion.id}/dismiss",
        data={"csrf_token": csrf_token(client, path), "reason": "too_far", "next": path},
    )
    page = client.get(path).get_data(as_text=True)
    assert f'action="/suggestions/{suggestion.id}/restore"' in page and "Rétablir" in page
    assert client.post(f"/suggestions/{suggestion.id}/restore", data={"next": path}).status_code == 400
    session.refresh(suggestion)
    assert suggestion.status == "dismissed"  # no CSRF token: nothing done
    response = client.post(
        f"/suggestions/{suggestion.id}/restore",
        data={"csrf_token": csrf_token(client, path), "next": path},
        follow_redirects=True,
    )
    assert "Suggestion rétablie." in response.get_data(as_text=True)
    session.refresh(suggestion)
    assert (suggestion.status, suggestion.dismiss_reason) == ("active", None)
    assert f'action="/suggestions/{suggestion.id}/restore"' not in client.get(path).get_data(as_text=True)


def test_admin_view_counts_dismissals_and_is_admin_only(client, session):
    _gs, malaunay, *_rest, suggestion = network(session)
    suggestion.status, suggestion.dismiss_reason = "dismissed", "too_far"
    admin = make_user(session, "admin", "62528")
    session.flush()
    login(client, malaunay)
    assert client.get("/admin/matching").status_code == 403
    client.get("/logout")
    client.post("/logout")
    client2 = client.application.test_client()
    login(client2, admin)
    page = client2.get("/admin/matching")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Trop loin" in html
    # The rate tables' columns count suggestions: plural, like the status labels are not.
    assert '<th scope="col">Acceptées</th><th scope="col">Écartées</th>' in html


def test_dashboard_panel_lists_suggestions(client, session):
    _gs, malaunay, *_rest = network(session)
    login(client, malaunay)
    html = client.get("/").get_data(as_text=True)
    assert "Broyeur" in html


def test_match_run_command_prints_counts_and_timings(app, session):
    network(session)
    from mutualisation.cli import AppContext, main

    ctx = AppContext()
    ctx._app = app
    result = CliRunner().invoke(main, ["match", "run"], obj=ctx)
    assert result.exit_code == 0, result.output
    assert "0 inserted" in result.output and "1 unchanged" in result.output
    assert "load" in result.output and "match" in result.output and "write" in result.output


def test_the_api_explains_each_contribution_in_the_readers_language(client, session):
    _gs, malaunay, _stranger, _offer, need, suggestion = network(session)
    headers = token(client, malaunay)
    for lang, word in (("fr", "même sous-catégorie"), ("en", "same subcategory")):
        response = client.get(f"/api/v1/listings/{need.id}/suggestions?lang={lang}", headers=headers)
        breakdown = response.get_json()["items"][0]["breakdown"]
        assert breakdown[0]["message"].startswith(word)
        assert breakdown[0]["message"] == breakdown[0][f"message_{lang}"]
        distance = next(part for part in breakdown if part["criterion"] == "distance")
        assert distance["message"].startswith(f"{suggestion.distance_km:.0f} km")
        assert sum(part["value"] for part in breakdown) == pytest.approx(suggestion.score, abs=1e-3)


def test_the_listing_page_explains_suggestions_in_english_when_asked(client, session):
    _gs, malaunay, _stranger, _offer, need, _suggestion = network(session)
    login(client, malaunay)
    html = client.get(f"/listings/{need.id}/suggestions?lang=en").get_data(as_text=True)
    assert "same subcategory" in html and "même sous-catégorie" not in html


def test_the_openapi_document_describes_the_rendered_breakdown(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    contribution = spec["components"]["schemas"]["Contribution"]["properties"]
    assert {"criterion", "value", "message", "message_fr", "message_en"} <= set(contribution)


def test_another_territorys_draft_has_no_suggestions_page_it_does_not_exist(client, session):
    """A draft the user may not see answers 404 (page and API), like a missing id: never 403."""
    owner = make_user(session, "technician", "59271")
    stranger = make_user(session, "technician", "22046")
    draft = make_listing(session, owner, kind="offer", subcategory="wood_chipper", status="draft")
    session.commit()
    login(client, stranger)
    assert client.get(f"/listings/{draft.id}/suggestions").status_code == 404
    headers = token(client, stranger)
    response = client.get(f"/api/v1/listings/{draft.id}/suggestions", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    missing = client.get("/api/v1/listings/987654/suggestions", headers=headers)
    assert missing.status_code == 404 and missing.get_json() == response.get_json()
