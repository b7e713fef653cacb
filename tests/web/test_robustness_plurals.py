"""A text that counts something has a singular and a plural, chosen by the count in the reader's
language, never a pseudo-plural: "1 offre(s) compatible(s)" read as a form nobody filled in, and
French and English do not even agree on which counts are singular (French: 0 and 1)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale

from mutualisation.matching.absence import AbsenceFacts, explain_absence
from mutualisation.matching.config import MatchingConfig
from mutualisation.notifications.messages import translate

CATALOGUES = Path(__file__).resolve().parents[2] / "src" / "mutualisation" / "translations"
# A letter followed by a parenthesised ending: "offer(s)", "offre(s)", "prêté(s)", "prévenu(e)".
PSEUDO_PLURAL = re.compile(r"[^\W\d_]\((?:s|e|es|x)\)")


def _texts(message) -> list[str]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [text for text in (*ids, *strings) if text]


def test_no_catalogue_text_writes_a_pseudo_plural():
    offenders = []
    for locale in ("fr", "en"):
        with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalogue = read_po(po)
        offenders += [f"{locale}: {t!r}" for m in catalogue for t in _texts(m) if PSEUDO_PLURAL.search(t)]
    assert offenders == []


def test_the_check_sees_the_cases_it_was_written_for():
    for written in ("%(num)d listing(s)", "1 offre(s) compatible(s)", "%(units)s prêté(s)", "prévenu(e)"):
        assert PSEUDO_PLURAL.search(written), written
    for fine in ("%(count)s offers", "Urbanisme (PLU, PLUi)", "%(title)s (%(state)s)", "Technicien·ne"):
        assert not PSEUDO_PLURAL.search(fine), fine


def _beyond(count: int) -> AbsenceFacts:
    return AbsenceFacts(
        counterpart_kind="offer",
        located=True,
        counterparts=count,
        own=0,
        subcategory=0,
        window=0,
        quantity=count,
        beyond_radius=count,
        nearest_beyond_km=140.0,
        radius_km=100.0,
        widen_to_km=150.0,
        low_score=0,
    )


def _said(count: int, locale: str) -> list[str]:
    with force_locale(locale):
        return [translate(r.msgid, r.params) for r in explain_absence(_beyond(count), MatchingConfig())]


def test_an_explanation_of_absence_takes_the_form_its_count_calls_for_in_each_language(app):
    with app.test_request_context():
        assert _said(1, "fr") == [
            "1 offre compatible au-delà de votre rayon de 100\u00a0km\u00a0; elle est à 140\u00a0km.",
            "1 offre ne couvre pas la quantité dont vous avez besoin.",
        ]
        assert _said(3, "fr") == [
            "3 offres compatibles au-delà de votre rayon de 100\u00a0km\u00a0; la plus proche à 140\u00a0km.",
            "3 offres ne couvrent pas la quantité dont vous avez besoin.",
        ]
        assert _said(1, "en") == [
            "1 compatible offer beyond your radius of 100\u00a0km; it is 140\u00a0km away.",
            "1 offer cannot supply the quantity you need.",
        ]
        assert _said(3, "en")[1] == "3 offers cannot supply the quantity you need."
