"""Pure rules of experience sheets: themes, field validation, the search document, readable diffs
between versions, and the prefill of a draft from an evaluated agreement.

No Flask, no SQLAlchemy: plain values in, plain values out (tested without a database). Messages
are English msgids marked with N_ and translated where they are shown.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..i18n import N_

SECTIONS: Final = (
    "context",
    "what_shared",
    "method",
    "success_conditions",
    "pitfalls",
    "results_text",
    "contacts",
)
TEXT_LIMIT: Final = 20_000
TITLE_LIMIT: Final = 200
REACTION_KINDS: Final = ("reuse", "comment", "contradiction")
REACTION_LIMIT: Final = 5_000
# Contacts are roles ("chargée de mission mobilité, mairie de Malaunay"), never a person's address.
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
EDITABLE_FIELDS: Final = ("title", "themes", "category", "population", "started_on", "ended_on", *SECTIONS)


class ThemesError(ValueError):
    """The themes file is wrong: raised at start-up."""


@dataclass(frozen=True)
class Theme:
    code: str
    fr: str
    en: str

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr


def load_themes(mapping: Mapping[str, Any]) -> tuple[Theme, ...]:
    raw = mapping.get("themes")
    if not isinstance(raw, Mapping) or not raw:
        raise ThemesError("missing [themes] table")
    themes = []
    for code, entry in raw.items():
        if not isinstance(entry, Mapping) or not all(isinstance(entry.get(k), str) for k in ("fr", "en")):
            raise ThemesError(f"themes.{code}: needs 'fr' and 'en' labels")
        themes.append(Theme(code, entry["fr"], entry["en"]))
    return tuple(themes)


def _date(value: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [N_("Enter a date as YYYY-MM-DD.")]
        return None


# More than any French territory holds (the whole country is under 70 million), far inside a
# 32-bit integer column: 10^12 is refused with a message, not by the database.
MAX_POPULATION: Final = 100_000_000


def _population(value: Any, errors: dict[str, list[str]]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POPULATION:
        errors["population"] = [N_("Enter a whole number of inhabitants.")]
        return None
    return value


def _text(value: Any, name: str, errors: dict[str, list[str]], limit: int = TEXT_LIMIT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = [N_("Enter some text.")]
        return ""
    if len(value) > limit:
        errors[name] = [N_("This text is too long.")]
    return value.strip()


def clean_sheet(
    raw: Mapping[str, Any], theme_codes: Iterable[str], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The editable fields of a sheet, cleaned, and the field errors (empty when valid).

    With `partial`, only the fields present are cleaned (a PATCH); otherwise a title is required.
    """
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    present = [f for f in EDITABLE_FIELDS if f in raw] if partial else list(EDITABLE_FIELDS)
    for name in present:
        value = raw.get(name)
        if name == "title":
            out[name] = _text(value, name, errors, TITLE_LIMIT)
            if not out[name] and name not in errors:
                errors[name] = [N_("A title is required.")]
        elif name == "themes":
            out[name] = _themes(value, set(theme_codes), errors)
        elif name == "category":
            out[name] = _text(value, name, errors, 30) or None
        elif name == "population":
            out[name] = _population(value, errors)
        elif name in ("started_on", "ended_on"):
            out[name] = _date(value, name, errors)
        else:
            out[name] = _text(value, name, errors)
    if out.get("contacts") and _EMAIL.search(out["contacts"]):
        errors["contacts"] = [N_("Give roles and services, not personal e-mail addresses.")]
    start, end = out.get("started_on"), out.get("ended_on")
    if start and end and end < start and "ended_on" not in errors:
        errors["ended_on"] = [N_("The end date cannot be before the start date.")]
    return out, errors


def _themes(value: Any, known: set[str], errors: dict[str, list[str]]) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors["themes"] = [N_("Choose themes from the list.")]
        return []
    unknown = [v for v in value if v not in known]
    if unknown:
        errors["themes"] = [N_("Choose themes from the list.")]
    return list(dict.fromkeys(v for v in value if v in known))


def clean_reaction(kind: Any, body: Any) -> tuple[str, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if kind not in REACTION_KINDS:
        errors["kind"] = [N_("Choose reuse, comment or contradiction.")]
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        errors["body"] = [N_("Say what you want to share.")]
    elif len(text) > REACTION_LIMIT:
        errors["body"] = [N_("This text is too long.")]
    return text, errors


def search_document(content: Mapping[str, Any], theme_labels: Iterable[str] = ()) -> str:
    """The one text the full-text search reads: title, theme labels and sections."""
    parts = [str(content.get("title") or ""), *theme_labels]
    parts += [str(content.get(name) or "") for name in SECTIONS]
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class FieldDiff:
    field: str
    lines: tuple[tuple[str, str], ...]  # (mark, text): mark is "+", "-" or " "

    @property
    def unified(self) -> str:
        return "\n".join(f"{mark}{text}" for mark, text in self.lines)


def _as_lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value).splitlines()


def diff_contents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldDiff]:
    """A readable, line-by-line diff of every field that changed (difflib), in field order."""
    diffs = []
    for name in ("title", "themes", "category", "population", "started_on", "ended_on", "licence", *SECTIONS):
        before, after = _as_lines(old.get(name)), _as_lines(new.get(name))
        if before == after:
            continue
        lines = []
        for line in difflib.ndiff(before, after):
            if line.startswith("? "):
                continue  # ndiff's intra-line hints are noise for a reader
            lines.append((line[0] if line[0] in "+-" else " ", line[2:]))
        diffs.append(FieldDiff(name, tuple(lines)))
    return diffs


def prefill_from_agreement(
    agreement: Mapping[str, Any], evaluations: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """A draft sheet's content from an evaluated agreement: what was shared, dates and lessons.

    `agreement` carries `title`, `kind`, `provider`, `beneficiary` (territory names), `lines`
    (descriptions), `starts_on`, `ends_on`, `category`; each evaluation `side` and `lessons_learned`.
    """
    lines = [str(line) for line in agreement.get("lines") or [] if line]
    shared = agreement.get("title") or ""
    if lines:
        shared = "\n".join([shared, *(f"- {line}" for line in lines)]).strip()
    lessons = [
        str(e.get("lessons_learned")).strip() for e in evaluations if (e.get("lessons_learned") or "").strip()
    ]
    context = f"{agreement.get('provider', '')} → {agreement.get('beneficiary', '')}".strip(" →")
    return {
        "title": str(agreement.get("title") or "")[:TITLE_LIMIT],
        "category": agreement.get("category"),
        "started_on": agreement.get("starts_on"),
        "ended_on": agreement.get("ends_on"),
        "context": context,
        "what_shared": shared,
        "pitfalls": "",
        "success_conditions": "\n\n".join(lessons),
    }
