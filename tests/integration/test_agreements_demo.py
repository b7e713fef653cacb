from __future__ import annotations

from sqlalchemy import func, select

from mutualisation.accounts.models import User
from mutualisation.agreements import demo
from mutualisation.agreements.models import Agreement
from tests.builders import make_user


def test_the_demo_agreements_load_at_every_stage_and_only_once(session):
    for slug, code in (
        ("loos-en-gohelle", "62528"),
        ("le-mene", "22046"),
        ("malaunay", "76402"),
        ("grande-synthe", "59271"),
    ):
        for role in ("technician", "official"):
            make_user(session, role, code, email=f"{role}@{slug}.demo")
    session.commit()
    assert demo.load(session) == "11 agreement(s) created"
    statuses = set(session.scalars(select(Agreement.status)))
    assert statuses == {
        "draft",
        "proposed",
        "negotiating",
        "pending_approval",
        "approved",
        "signed",
        "in_progress",
        "returned",
        "completed",
        "evaluated",
        "refused",
    }
    assert demo.load(session) == "0 agreement(s) created"
    assert session.scalar(select(func.count(Agreement.id))) == 11
    assert session.scalar(select(func.count(User.id))) >= 8
