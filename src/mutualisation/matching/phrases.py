"""The breakdown's phrases: English msgids translated by Flask-Babel when a breakdown is rendered.

Inside an application context the app's Flask-Babel does the work (`force_locale`). Outside one
(the CLI, scripts, unit tests) the very same compiled catalogues are read through Babel, so a
breakdown reads the same wherever it is rendered.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.numbers import get_decimal_symbol, get_minus_sign_symbol
from babel.support import NullTranslations, Translations
from flask import has_app_context
from flask_babel import force_locale, gettext

from ..i18n import N_
from ..paths import resource_dir

# Parts of a breakdown (see `breakdown`), by code; None: the distance itself, the same in every language.
_PHRASES: dict[str, str | None] = {
    "S": N_("same subcategory"),
    "s": N_("compatible subcategory"),
    "N": N_("close subcategory"),
    "D": None,
    "R": N_("%(distance)s (remote)"),
    "W": N_("availability %(percent)s%% covered"),
    "Q": N_("quantity fit %(percent)s%%"),
    "I": N_("inexhaustible resource"),
    "U": N_("quantity not specified"),
    "C": N_("territories already cooperated"),
}


@cache
def _catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(resource_dir("translations")), [lang])


def translate(msgid: str, lang: str, **params: Any) -> str:
    """`msgid` in `lang`, through Flask-Babel when an application is there, else its catalogue."""
    if has_app_context():
        with force_locale(lang):
            return gettext(msgid, **params)
    text = _catalogue(lang).gettext(msgid)
    return text % params if params else text


def signed(value: float, lang: str) -> str:
    """`+0.35` with the locale's decimal and minus symbols, rounded like Python's `%+.2f`."""
    text = f"{value:+.2f}"
    return text.replace(".", get_decimal_symbol(lang)).replace("-", get_minus_sign_symbol(lang))


def part_words(code: str, percent: str | None, distance_km: float, lang: str) -> str:
    """What one part of a breakdown is about, e.g. "same subcategory", in `lang`."""
    distance = f"{distance_km:.0f} km" if distance_km >= 1 else "< 1 km"
    msgid = _PHRASES.get(code, _PHRASES["C"])
    return distance if msgid is None else translate(msgid, lang, distance=distance, percent=percent)


def part_message(code: str, value: float, percent: str | None, distance_km: float, lang: str) -> str:
    """One line of a breakdown, e.g. "same subcategory +0.35", in `lang`."""
    return f"{part_words(code, percent, distance_km, lang)} {signed(value, lang)}"
