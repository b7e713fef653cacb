"""The pages: confirmations that say what happened (every action), destructive actions that ask,
handover and return outside the period that ask, the draft form, and the conversations' pages."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from mutualisation.agreements import services
from mutualisation.agreements.confirmations import done_message, timeline
from mutualisation.agreements.labels import DONE_MESSAGES
from mutualisation.agreements.models import AgreementEvent
from mutualisation.agreements.timing import execution_warning
from mutualisation.agreements.vocabulary import Action
from mutualisation.notifications.models import Notification
from tests.builders import csrf_token, login, make_agreement, make_listing, make_user

LOOS, GRANDE_SYNTHE, LE_MENE = "62528", "59271", "22046"
EMAIL = re.compile(r"[\w.+-]+@example\.org")


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_a_past_tense_confirmation_naming_who(app, session, action):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos)
    with app.test_request_context():
        message = done_message(agreement, gs, action)
    assert action in DONE_MESSAGES
    assert "%(" not in message and not message.startswith("Done")


def test_an_official_approving_reads_convention_validee_pour_his_territory(client, session):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos, "pending_approval")
    official = make_user(session, "official", LOOS)
    login(client, official)
    path = f"/agreements/{agreement.id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/actions/approve",
        data={
            "approve-csrf_token": token,
            "approve-version": "1",
            "approve-decision_kind": "delegation",
            "approve-decision_reference": "DM-2026-14",
            "approve-decision_date": "2026-04-12",
        },
        follow_redirects=True,
    )
    assert "Convention validée pour Loos-en-Gohelle." in page_text(response)


@pytest.mark.parametrize("action", ["withdraw", "cancel"])
def test_destructive_actions_are_red_and_wait_for_the_box(client, session, action):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos, "proposed" if action == "withdraw" else "signed")
    login(client, gs)
    path = f"/agreements/{agreement.id}"
    page = client.get(path).get_data(as_text=True)
    assert re.search(rf'actions/{action}".*?btn btn-danger', page, re.S)
    data = {
        f"{action}-csrf_token": csrf_token(client, path),
        f"{action}-version": "1",
        f"{action}-reason": "Plus besoin",
    }
    refused = client.post(f"{path}/actions/{action}", data=data)
    assert refused.status_code == 422 and "Cochez la case pour confirmer." in page_text(refused)
    session.expire_all()
    assert services.queries.get(session, gs, agreement.id).status != action
    done = client.post(
        f"{path}/actions/{action}", data={**data, f"{action}-confirm": "y"}, follow_redirects=True
    )
    assert done.status_code == 200
    session.expire_all()
    assert services.queries.get(session, gs, agreement.id).status in ("withdrawn", "cancelled")


def test_execution_warning_rules():
    start, end = dt.date(2030, 6, 1), dt.date(2030, 6, 10)
    assert execution_warning("start", start, end, dt.date(2030, 5, 31)) is not None
    assert execution_warning("start", start, end, start) is None
    assert execution_warning("return", start, end, dt.date(2030, 6, 11)) is not None
    assert execution_warning("return", start, end, end) is None
    assert execution_warning("complete", start, end, dt.date(2031, 1, 1)) is None


def test_a_handover_before_the_start_asks_for_confirmation(client, session):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos, "signed")  # period in June 2030: today is before it
    login(client, gs)
    path = f"/agreements/{agreement.id}"
    data = {"start-csrf_token": csrf_token(client, path), "start-version": "1", "start-report": "Bon état"}
    asked = client.post(f"{path}/actions/start", data=data)
    assert asked.status_code == 422
    assert "vous enregistrez la remise avant cette date" in page_text(asked)
    done = client.post(f"{path}/actions/start", data={**data, "start-confirm": "y"}, follow_redirects=True)
    assert "Remise enregistrée" in page_text(done)
    session.expire_all()
    assert services.queries.get(session, gs, agreement.id).status == "in_progress"
    told = session.scalars(select(Notification).where(Notification.kind == "agreement.handover")).all()
    recipients = {n.recipient_id for n in told}
    assert loos.id in recipients and gs.id not in recipients  # the other side (Loos staff), not who acted
    assert {session.get(type(loos), r).territory_id for r in recipients} == {loos.territory_id}


def test_accepting_terms_tells_the_proposer_and_the_timeline_shows_it_once(app, session):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos, "pending_approval")
    told = session.scalars(select(Notification).where(Notification.kind == "agreement.terms_accepted")).all()
    assert [n.recipient_id for n in told] == [gs.id]
    events = session.scalars(select(AgreementEvent).where(AgreementEvent.agreement_id == agreement.id)).all()
    actions = [e.action for e in timeline(list(events))]
    assert actions.count("accept") == 1 and len([e for e in events if e.action == "accept"]) == 2


def test_the_author_edits_the_draft_on_its_page(client, session):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos)
    path = f"/agreements/{agreement.id}"
    login(client, loos)
    assert "edit-csrf_token" not in client.get(path).get_data(as_text=True)  # the other side: no form
    login(client, gs)
    token = csrf_token(client, path)
    data = {
        "edit-csrf_token": token,
        "edit-version": "0",
        "edit-lines-0-description": "Podium 8 m²",
        "edit-lines-0-quantity": "2",
        "edit-starts_on": "2030-06-02",
        "edit-ends_on": "2030-06-05",
        "edit-kind": "loan",
        "edit-qualified_operator_required": "y",
        "edit-comment": "Deux podiums",
    }
    without_csrf = client.post(f"{path}/edit", data={k: v for k, v in data.items() if "csrf" not in k})
    assert without_csrf.status_code in (400, 422)
    saved = client.post(f"{path}/edit", data=data, follow_redirects=True)
    assert "Brouillon enregistré" in page_text(saved)
    session.expire_all()
    terms = services.queries.get(session, gs, agreement.id).current_terms()
    assert (terms.version, terms.lines[0]["quantity"], terms.qualified_operator_required) == (1, 2.0, True)
    stale = client.post(f"{path}/edit", data=data, follow_redirects=True)
    assert "Le brouillon a changé depuis votre lecture" in page_text(stale)


def test_asking_a_question_on_a_listing_page(client, session):
    loos, gs = make_user(session, "technician", LOOS), make_user(session, "technician", GRANDE_SYNTHE)
    official = make_user(session, "official", LOOS)
    offer = make_listing(session, loos, "offer", title="Nacelle")
    login(client, loos)
    assert "Poser une question" not in page_text(client.get(f"/listings/{offer.id}"))
    login(client, gs)
    assert f"/listings/{offer.id}/ask" in client.get(f"/listings/{offer.id}").get_data(as_text=True)
    ask = f"/listings/{offer.id}/ask"
    sent = client.post(
        ask, data={"csrf_token": csrf_token(client, ask), "body": "Faut-il un CACES ?"}, follow_redirects=True
    )
    assert "Message envoyé" in page_text(sent) and "Faut-il un CACES ?" in page_text(sent)
    assert not EMAIL.search(sent.get_data(as_text=True))
    told = session.scalars(select(Notification).where(Notification.kind == "conversation.message")).all()
    assert {n.recipient_id for n in told} == {loos.id, official.id}
    login(client, official)
    listing_page = page_text(client.get("/conversations"))
    assert "Nacelle" in listing_page and "Faut-il un CACES ?" in listing_page


def test_an_agreement_page_holds_its_thread(client, session):
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    outsider = make_user(session, "technician", LE_MENE)
    agreement = make_agreement(session, gs, loos, "proposed")
    path = f"/agreements/{agreement.id}"
    login(client, loos)
    sent = client.post(
        f"{path}/messages",
        data={"csrf_token": csrf_token(client, path), "body": "Livraison le 2 ?"},
        follow_redirects=True,
    )
    assert "Livraison le 2 ?" in page_text(sent)
    assert not EMAIL.search(sent.get_data(as_text=True))
    login(client, outsider)
    response = client.get(path)
    assert response.status_code in (403, 404) and "Livraison le 2 ?" not in page_text(response)


def test_the_changes_between_two_versions_read_as_dates_money_and_labels(client, session):
    """The table of what changed between terms versions goes through the formatting layer."""
    gs, loos = make_user(session, "technician", GRANDE_SYNTHE), make_user(session, "technician", LOOS)
    agreement = make_agreement(session, gs, loos, "proposed")
    counter = {"ends_on": dt.date(2030, 6, 9), "deposit_eur": 1500, "logistics": "pickup"}
    services.transition(session, loos, agreement.id, "counter_propose", {"version": 1, "terms": counter})
    login(client, gs)

    page = page_text(client.get(f"/agreements/{agreement.id}"))
    changes = re.search(r'<table class="table table-sm terms-diff">.*?</table>', page, re.S).group(0)
    text = unescape(re.sub(r"<[^>]+>", " ", changes))

    assert "9 juin 2030" in text and "10 juin 2030" in text
    assert re.search(r"1\s500\s€", text), text
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\bpickup\b|1500\.0", text), text


def _queries_for(client, connection, path: str) -> int:
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        response = client.get(path)
        assert response.status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_the_conversations_page_costs_the_same_queries_for_two_threads_or_five(client, session, connection):
    """Titles and last messages of a page are loaded with it, not one query per conversation."""
    from mutualisation.conversations import services as conversations

    loos, gs = make_user(session, "technician", LOOS), make_user(session, "technician", GRANDE_SYNTHE)
    login(client, gs)

    def ask(n: int) -> None:
        for i in range(n):
            offer = make_listing(session, loos, "offer", title=f"Engin {i}")
            conversations.ask_about_listing(session, gs, offer.id, f"Question {i} ?")

    ask(2)
    with_two = _queries_for(client, connection, "/conversations")
    ask(3)
    assert "Question 2 ?" in page_text(client.get("/conversations"))
    assert _queries_for(client, connection, "/conversations") == with_two


def test_the_conversations_page_escapes_the_last_message_and_writes_french_typography(client, session):
    from mutualisation.conversations import services as conversations

    loos, gs = make_user(session, "technician", LOOS), make_user(session, "technician", GRANDE_SYNTHE)
    offer = make_listing(session, loos, "offer", title="Broyeur")
    conversations.ask_about_listing(session, gs, offer.id, "<b>Dispo</b> ?")
    login(client, loos)
    html = client.get("/conversations").get_data(as_text=True)
    assert "<b>Dispo</b>" not in html and "&lt;b&gt;Dispo&lt;/b&gt; ?" in html
    assert f"({gs.territory.name})\u00a0: " in unescape(html)
