"""The convention as a legal document: a model's visas and numbered articles, filled with the facts.

Pure (no Flask, no SQLAlchemy). The wording lives in `config/conventions/<model>.toml`, one model
per kind of agreement, so that the network's facilitator adjusts it without touching code; this
module checks that a model still holds the ten articles a legal service expects, in their order,
numbers them and fills their text from the agreement's facts (plain values built by
`convention_document.facts_of`).

The legal text of a French convention stays in French whatever the reader's language, so dates
and amounts inside it are written the French way here, not through the locale-aware filters.
Article bodies are Jinja templates rendered in a sandbox (the facilitator edits them) as plain
text: the page escapes them, so a model cannot inject markup.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

# The articles every model must hold, in this order: (key, default title).
REQUIRED_ARTICLES: Final = (
    ("objet", "Objet"),
    ("designation", "Désignation des biens ou prestations"),
    ("duree", "Durée"),
    ("conditions_financieres", "Conditions financières et caution"),
    ("assurance", "Assurance et responsabilité"),
    ("etats_des_lieux", "États des lieux d'entrée et de sortie"),
    ("obligations", "Obligations de chaque partie"),
    ("sous_mise_a_disposition", "Interdiction de sous-mise à disposition"),
    ("resiliation", "Résiliation"),
    ("litiges", "Litiges et juridiction compétente"),
)
MODEL_NOTICE: Final = "Modèle à faire vérifier par votre service juridique"

# Which model a kind of agreement uses; a recurring service or know-how is an entente.
MODELS: Final = ("mise_a_disposition", "prestation", "entente")

_MONTHS: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
DECISION_KINDS_FR: Final = {
    "deliberation": "délibération du conseil municipal",
    "arrete": "arrêté du maire",
    "delegation": "décision du maire prise par délégation du conseil municipal "
    "(article L. 2122-22 du code général des collectivités territoriales)",
}


# The fixed words of the document, French like the rest of the legal text.
WORDING: Final = {
    "between": "Entre les soussignés\u00a0:",
    "and": "et",
    "agreed": "Il a été convenu ce qui suit\u00a0:",
    "signatures": "Signatures",
    "for": "Pour",
    "to_sign": "Date, nom, qualité et signature\u00a0:",
    "fingerprint": "Empreinte SHA-256 de la convention signée\u00a0:",
    "frozen": (
        "Convention signée par les deux parties et figée\u00a0: toute modification passe par un avenant."
    ),
}
SIGNATURE_METHODS_FR: Final = {
    "in_app": "signature électronique dans l'application",
    "upload": "exemplaire signé à la main, numérisé et déposé",
}


class ModelError(ValueError):
    """A convention model that lost an article or its order: refused rather than printed."""


@dataclass(frozen=True)
class Article:
    number: int
    key: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def heading(self) -> str:
        return f"Article {self.number} – {self.title}"


@dataclass(frozen=True)
class Convention:
    title: str
    notice: str
    visas: tuple[str, ...]
    parties: tuple[str, ...]
    articles: tuple[Article, ...]
    closing: str
    labels: tuple[str, str]  # how the text calls the provider and the beneficiary


def model_for(kind: str, recurring: bool) -> str:
    """The model of a kind of agreement: equipment lent, a service, or recurring cooperation."""
    if kind == "loan":
        return "mise_a_disposition"
    return "entente" if recurring else "prestation"


def french_date(value: dt.date | None) -> str:
    """'1er avril 2026': the legal text's dates, in French whatever the reader's language."""
    if value is None:
        return "…"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {_MONTHS[value.month - 1]} {value.year}"


def french_amount(value: float | None) -> str:
    """'1 250,00 €' (narrow no-break space between thousands, as French typography wants)."""
    if value is None:
        return "0,00 €"
    whole, cents = f"{value:,.2f}".split(".")
    whole = whole.replace(",", "\u202f")
    return f"{whole},{cents}\u00a0€"


def decision_phrase(decision: Mapping[str, Any] | None) -> str:
    """'délibération du conseil municipal n° 2026-42 du 12 avril 2026', or '' without a decision."""
    if not decision or not decision.get("kind"):
        return ""
    phrase = DECISION_KINDS_FR.get(str(decision["kind"]), str(decision["kind"]))
    if decision.get("reference"):
        phrase += f" n° {decision['reference']}"
    return f"{phrase} du {french_date(decision.get('date'))}"


def party_clause(party: Mapping[str, Any], label: str) -> str:
    """One party as the convention names it: who, represented by whom, authorised by what."""
    representative = party.get("representative") or {}
    clause = str(party["name"])
    if representative.get("name"):
        clause += f", représentée par {representative['name']}"
        if representative.get("capacity"):
            clause += f", {representative['capacity']}"
    decision = decision_phrase(party.get("decision"))
    if decision:
        clause += f", dûment habilitée par {decision}"
    return f"{clause}, ci-après dénommée «\u00a0{label}\u00a0»"


def check_model(model: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The model's articles, once checked to hold the ten required ones in their order."""
    articles = list(model.get("articles") or [])
    keys = [str(a.get("key")) for a in articles]
    required = [key for key, _title in REQUIRED_ARTICLES]
    missing = [key for key in required if key not in keys]
    if missing:
        raise ModelError(f"the convention model lacks the articles {', '.join(missing)}")
    positions = [keys.index(key) for key in required]
    if positions != sorted(positions):
        raise ModelError("the convention model's required articles are out of order")
    return articles


_ENV: Final = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


def _render(text: str, facts: Mapping[str, Any]) -> str:
    return _ENV.from_string(text).render(**facts).strip()


def _paragraphs(text: str) -> tuple[str, ...]:
    """Blank lines part paragraphs; a single newline stays (a list's items). Only ordinary spaces
    are collapsed: the no-break spaces of French typography are kept."""
    result = []
    for block in text.split("\n\n"):
        lines = [re.sub(r"[ \t\r]+", " ", line).strip() for line in block.split("\n")]
        kept = "\n".join(line for line in lines if line)
        if kept:
            result.append(kept)
    return tuple(result)


def build_convention(model: Mapping[str, Any], facts: Mapping[str, Any]) -> Convention:
    """Number the model's articles and fill every text with the facts (see the module docstring)."""
    titles = dict(REQUIRED_ARTICLES)
    articles = tuple(
        Article(
            number=i,
            key=str(a["key"]),
            title=str(a.get("title") or titles.get(str(a["key"]), a["key"])),
            paragraphs=_paragraphs(_render(str(a.get("body", "")), facts)),
        )
        for i, a in enumerate(check_model(model), start=1)
    )
    labels = (str(model["provider_label"]), str(model["beneficiary_label"]))
    sides = ("provider", "beneficiary")
    parties = tuple(party_clause(facts[side], label) for side, label in zip(sides, labels, strict=True))
    return Convention(
        title=_render(str(model["title"]), facts),
        notice=str(model.get("notice") or MODEL_NOTICE),
        visas=tuple(_render(str(v), facts) for v in model.get("visas", ())),
        parties=parties,
        articles=articles,
        closing=closing_line(facts.get("place"), facts.get("signed_on")),
        labels=labels,
    )


def signature_line(method: str, name: str, signed_on: dt.date, pdf_sha256: str | None) -> str:
    """How a recorded signature is printed on the frozen convention."""
    how = SIGNATURE_METHODS_FR.get(method, method)
    line = f"Signé le {french_date(signed_on)} par {name} ({how})."
    if pdf_sha256:
        line += f" SHA-256 du PDF signé\u00a0: {pdf_sha256}"
    return line


def closing_line(place: str | None, signed_on: dt.date | None) -> str:
    """'Fait à Loos-en-Gohelle, le 3 mai 2026, en deux exemplaires originaux.'"""
    where = place or "…"
    when = french_date(signed_on) if signed_on else "…"
    return f"Fait à {where}, le {when}, en deux exemplaires originaux."


def lines_text(lines: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each resource line as the designation article lists it."""
    result = []
    for line in lines:
        text = str(line.get("description") or "")
        quantity = line.get("quantity")
        if quantity is not None:
            number = f"{float(quantity):g}".replace(".", ",")
            text += f" – quantité\u00a0: {number}"
            if line.get("unit"):
                text += f" {line['unit']}"
        result.append(text)
    return result
