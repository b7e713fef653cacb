"""Two identical submissions at the same moment, from two real PostgreSQL connections: accepting
a suggestion makes one draft, and two first questions about a listing open one conversation."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mutualisation.accounts.models import User
from mutualisation.agreements.models import Agreement
from mutualisation.conversations import services as conversations
from mutualisation.conversations.models import Conversation, Message
from mutualisation.matching import services as matching
from mutualisation.matching.models import Suggestion
from mutualisation.territories.models import Territory
from tests.builders import make_listing, make_user
from tests.committed import remove_committed


@pytest.fixture
def committed(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency test: PostgreSQL only (SQLite serialises all writers by design)")
    with Session(engine, expire_on_commit=False) as session:
        existing = set(session.scalars(select(Territory.code)))
        gs = [make_user(session, "technician", "59271"), make_user(session, "official", "59271")]
        loos = make_user(session, "technician", "62528")
        offer = make_listing(session, loos, "offer")
        need = make_listing(session, gs[0], "need")
        suggestion = Suggestion(
            offer_id=offer.id, need_id=need.id, score=0.9, distance_km=10.0, status="active", breakdown=[]
        )
        session.add(suggestion)
        session.commit()
        ids = {"users": [u.id for u in gs], "suggestion": suggestion.id, "offer": offer.id}
    yield ids
    remove_committed(engine, existing)


def run_together(engine, user_ids, work) -> list[BaseException]:
    barrier, errors = threading.Barrier(len(user_ids)), []

    def one(user_id: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            user = session.get(User, user_id)
            barrier.wait()
            try:
                work(session, user)
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)

    threads = [threading.Thread(target=one, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_two_acceptances_at_once_make_one_draft(engine, committed):
    errors = run_together(
        engine, committed["users"], lambda s, u: matching.accept(s, u, committed["suggestion"])
    )
    assert errors == []
    with Session(engine) as session:
        assert session.scalar(select(func.count(Agreement.id))) == 1


def test_two_first_questions_at_once_open_one_conversation(engine, committed):
    errors = run_together(
        engine,
        committed["users"],
        lambda s, u: conversations.ask_about_listing(s, u, committed["offer"], f"Question de {u.id}"),
    )
    assert errors == []
    with Session(engine) as session:
        threads = session.scalars(
            select(Conversation).where(Conversation.listing_id == committed["offer"])
        ).all()
        assert len(threads) == 1
        assert session.scalar(select(func.count(Message.id))) == 2
