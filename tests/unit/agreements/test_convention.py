"""The convention builder: the models under config/conventions/, numbered articles, parties named
with their representative and authorising decision, French wording whatever the reader's language."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from mutualisation.agreements.convention import (
    MODEL_NOTICE,
    MODELS,
    REQUIRED_ARTICLES,
    ModelError,
    build_convention,
    closing_line,
    decision_phrase,
    french_amount,
    french_date,
    lines_text,
    model_for,
    party_clause,
)

CONFIG = Path(__file__).resolve().parents[3] / "config" / "conventions"


def load(name: str) -> dict:
    with (CONFIG / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def facts(**changes) -> dict:
    base = {
        "number": 12,
        "amendment": 0,
        "title": "Podium modulaire 6 x 4 m",
        "provider": {
            "name": "La commune de Loos-en-Gohelle",
            "representative": {"name": "Jean Dupont", "capacity": "maire"},
            "decision": {"kind": "deliberation", "reference": "2026-42", "date": dt.date(2026, 4, 12)},
        },
        "beneficiary": {
            "name": "La commune de Grande-Synthe",
            "representative": {"name": "Marie Martin", "capacity": "adjointe au maire"},
            "decision": {"kind": "delegation", "reference": "D-2026-7", "date": dt.date(2026, 5, 1)},
        },
        "lines": lines_text([{"description": "Podium", "quantity": 1, "unit": "lot"}]),
        "starts_on": french_date(dt.date(2026, 6, 1)),
        "ends_on": french_date(dt.date(2026, 6, 8)),
        "has_deposit": True,
        "deposit": french_amount(1250),
        "conditions": "gratuit",
        "logistics": "sur place",
        "insurance_required": True,
        "place": "Loos-en-Gohelle",
        "signed_on": None,
    }
    base.update(changes)
    return base


@pytest.mark.parametrize("name", MODELS)
def test_every_model_gives_the_ten_articles_numbered_in_order(name):
    doc = build_convention(load(name), facts())
    assert [(a.number, a.key) for a in doc.articles] == [
        (i, key) for i, (key, _title) in enumerate(REQUIRED_ARTICLES, start=1)
    ]
    assert [a.title for a in doc.articles] == [title for _key, title in REQUIRED_ARTICLES]
    assert doc.articles[0].heading == "Article 1 – Objet"
    assert all(a.paragraphs for a in doc.articles)
    assert doc.notice == MODEL_NOTICE
    assert len(doc.visas) >= 3 and all(v.startswith(("Vu ", "Considérant")) for v in doc.visas)
    assert "n° 12" in doc.title


def test_the_visas_suit_the_kind_of_agreement():
    equipment = " ".join(build_convention(load("mise_a_disposition"), facts()).visas)
    service = " ".join(build_convention(load("prestation"), facts()).visas)
    entente = " ".join(build_convention(load("entente"), facts()).visas)
    assert "propriété des personnes publiques" in equipment
    assert "L. 2511-6" in service
    assert "L. 5221-1" in entente
    assert model_for("loan", recurring=True) == "mise_a_disposition"
    assert model_for("service", recurring=False) == "prestation"
    assert model_for("know_how", recurring=True) == "entente"


def test_each_party_is_named_with_its_representative_and_the_authorising_decision():
    doc = build_convention(load("mise_a_disposition"), facts())
    provider, beneficiary = doc.parties
    assert provider.startswith("La commune de Loos-en-Gohelle, représentée par Jean Dupont, maire")
    assert "délibération du conseil municipal n° 2026-42 du 12 avril 2026" in provider
    assert "«\u00a0le prêteur\u00a0»" in provider
    assert "par délégation du conseil municipal" in beneficiary and "du 1er mai 2026" in beneficiary
    assert "Marie Martin, adjointe au maire" in beneficiary


def test_the_terms_fill_the_articles():
    doc = build_convention(load("mise_a_disposition"), facts())
    text = {a.key: " ".join(a.paragraphs) for a in doc.articles}
    assert "Podium – quantité\u00a0: 1 lot" in text["designation"]
    assert "du 1er juin 2026 au 8 juin 2026" in text["duree"]
    assert "1\u202f250,00\u00a0€" in text["conditions_financieres"]
    assert "attestation d'assurance" in text["assurance"]
    no_deposit = build_convention(
        load("mise_a_disposition"), facts(has_deposit=False, insurance_required=False)
    )
    assert "Aucune caution" in no_deposit.articles[3].paragraphs[0]


def test_the_closing_line_says_where_when_and_in_two_copies():
    assert closing_line("Loos-en-Gohelle", dt.date(2026, 5, 3)) == (
        "Fait à Loos-en-Gohelle, le 3 mai 2026, en deux exemplaires originaux."
    )
    assert (
        closing_line("Loos-en-Gohelle", None)
        == "Fait à Loos-en-Gohelle, le …, en deux exemplaires originaux."
    )


def test_a_model_that_lost_an_article_or_its_order_is_refused():
    model = load("mise_a_disposition")
    without = {**model, "articles": [a for a in model["articles"] if a["key"] != "litiges"]}
    with pytest.raises(ModelError, match="litiges"):
        build_convention(without, facts())
    swapped = list(model["articles"])
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(ModelError, match="order"):
        build_convention({**model, "articles": swapped}, facts())


def test_a_model_may_add_an_article_and_numbering_follows():
    model = load("prestation")
    extra = {"key": "donnees", "title": "Données personnelles", "body": "Les parties respectent le RGPD."}
    articles = [*model["articles"][:7], extra, *model["articles"][7:]]
    doc = build_convention({**model, "articles": articles}, facts())
    assert [a.number for a in doc.articles] == list(range(1, 12))
    assert doc.articles[7].heading == "Article 8 – Données personnelles"
    assert doc.articles[10].title == "Litiges et juridiction compétente"


def test_french_wording_of_dates_amounts_and_decisions():
    assert french_date(dt.date(2026, 4, 1)) == "1er avril 2026"
    assert french_date(None) == "…"
    assert french_amount(150) == "150,00\u00a0€"
    assert decision_phrase(None) == ""
    assert decision_phrase({"kind": "arrete", "reference": None, "date": dt.date(2026, 2, 3)}) == (
        "arrêté du maire du 3 février 2026"
    )
    actor = party_clause({"name": "Association X", "representative": {"name": "Paul"}}, "le bénéficiaire")
    assert actor == "Association X, représentée par Paul, ci-après dénommée «\u00a0le bénéficiaire\u00a0»"


def test_a_model_text_cannot_reach_python_internals():
    model = load("prestation")
    evil = [dict(a) for a in model["articles"]]
    evil[0]["body"] = "{{ title.__class__.__mro__ }}"
    with pytest.raises(Exception):  # noqa: B017 - the sandbox refuses, whatever it raises
        build_convention({**model, "articles": evil}, facts())
