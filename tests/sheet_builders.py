"""Builders for experience sheets and evaluated agreements (`make_*`), through the real services."""

from __future__ import annotations

from mutualisation.agreements import services as agreements
from mutualisation.impact import sheets
from tests.builders import make_agreement
from tests.builders import make_people as make_named_people


def make_evaluated_agreement(session, requester, offer_owner, **figures):
    """An agreement of `requester` on an offer of `offer_owner`, completed then evaluated by both."""
    agreement = make_agreement(session, requester, offer_owner, "completed")
    beneficiary = {
        "satisfaction": 5,
        "money_saved_eur": 1200.0,
        "kg_diverted": 100,
        "km_travelled": 20,
        "vehicle": "van",
        "lessons_learned": "Prévoir un camion et deux agents pour le montage.",
    }
    beneficiary.update(figures)
    agreements.transition(session, requester, agreement.id, "evaluate", {"version": 1, **beneficiary})
    agreements.transition(
        session,
        offer_owner,
        agreement.id,
        "evaluate",
        {
            "version": 1,
            "satisfaction": 4,
            "money_saved_eur": 0,
            "lessons_learned": "Un état des lieux photo aide.",
        },
    )
    return agreement


def make_sheet(session, author, publish_by=None, **content):
    values = {
        "title": "Prêt de podium entre communes",
        "themes": ["mutualisation"],
        "context": "Deux communes voisines",
        "method": "1. Réserver six semaines avant.\n2. Signer la convention.",
        "contacts": "Service des fêtes, mairie",
    }
    values.update(content)
    sheet = sheets.create(session, author, values)
    if publish_by is not None:
        sheet = sheets.publish(session, publish_by, sheet.id)
    return sheet


SHEET_PEOPLE = ("admin", "loos_tech", "loos_official", "loos_actor", "mal_tech", "mal_official", "mal_actor")


def make_people(session) -> dict:
    """One user per role in Loos-en-Gohelle and Malaunay, named `<town>_<role>`, plus an admin."""
    return make_named_people(session, *SHEET_PEOPLE)
