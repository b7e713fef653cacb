"""The one formatting layer: every date, moment, number, amount and unit shown to a person.

Pages (as Jinja filters), e-mails and notification texts, PDFs and the human-readable parts of
exports all call these functions, so that "3 mai 2027", "1 500 €" and "10,5 t CO2e" read the same
everywhere. They format in the current Flask-Babel locale (the request's, or the one forced with
`force_locale` for a recipient) and show moments in the app's time zone (BABEL_DEFAULT_TIMEZONE,
Europe/Paris), while the database keeps UTC. JSON and CSV columns stay machine-readable (ISO 8601,
plain decimals): this module is for people only. Infrastructure: it imports no domain.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import Flask
from flask_babel import (
    format_date,
    format_decimal,
    format_percent,
    format_time,
    get_locale,
    gettext,
    to_user_timezone,
)

from .geo import Km

Number = float | int | Decimal

# A mass from this many kilograms on reads better in tonnes ("10,5 t" rather than "10 452 kg").
TONNE_FROM_KG = 1000
NBSP = "\u00a0"
# Units written as symbols never take a plural ("3 kg", "2 m²", "5 h").
_SYMBOLS = {
    "kg",
    "g",
    "t",
    "m",
    "m²",
    "m2",
    "m³",
    "m3",
    "km",
    "l",
    "h",
    "min",
    "%",
    "€",
    "kwh",
    "mwh",
    "cm",
    "mm",
}
# French writes a month's first day as an ordinal, "1er mai 2027", where CLDR's pattern gives "1 mai".
_FIRST_OF_MONTH = re.compile(r"(?<!\d)1(?=\s)")
_FRENCH_AL_PLURAL_S = {"bal", "carnaval", "chacal", "festival", "récital", "régal", "cal"}


def _plain(value: Number) -> Decimal:
    """A Decimal from the float's shortest repr, so 0.1 + 0.2 does not show 0,30000000000000004
    and nothing ever reaches Babel as a float in scientific notation."""
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def day(value: dt.date | dt.datetime | str | None, width: str = "long") -> str:
    """A calendar day: "3 mai 2027", "May 3, 2027". A moment gives its day in Paris (23:30 UTC is
    already tomorrow there). `width` may be "short" for dense tables ("03/05/2027")."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # a date kept as JSON text (agreement terms, event data)
        value = dt.date.fromisoformat(value[:10])
    local: dt.date = to_user_timezone(value).date() if isinstance(value, dt.datetime) else value
    return _date(local, width)


def _date(value: dt.date, width: str) -> str:
    """Babel's date in the current locale, with the French ordinal of a month's first day."""
    text: str = format_date(value, width)
    if value.day == 1 and width in ("long", "full") and get_locale().language == "fr":
        text = _FIRST_OF_MONTH.sub("1er", text, count=1)
    return text


def when(value: dt.datetime | None, width: str = "long") -> str:
    """A moment in Paris time: "3 mai 2027 à 13:18", "May 3, 2027 at 1:18 PM". A naive datetime
    is UTC, as the database keeps it."""
    if value is None:
        return ""
    local = to_user_timezone(value)
    date_part = _date(local.date(), "short" if width == "short" else "long")
    return gettext("%(date)s at %(time)s", date=date_part, time=format_time(local, "short"))


def num(value: Number | None, decimals: int = 2) -> str:
    """A number without useless decimals nor scientific notation: "1", "2,5", "10 452"."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(_plain(value), format=pattern)


def km(value: Number | None) -> str:
    """A distance's number: "38", "2,5" (one decimal under 10 km, none above); templates add "km"."""
    if value is None:
        return ""
    return num(value, 1 if abs(float(value)) < 10 else 0)


def km_text(value: Number | None) -> str:
    """A distance with its unit: "38 km"."""
    return "" if value is None else f"{km(value)}{NBSP}km"


def money(value: Number | None) -> str:
    """An amount in euros: "1 500 €", "12,50 €", "€1,500" in English; cents only when there are some."""
    if value is None:
        return ""
    amount = _plain(value).quantize(Decimal("0.01"))
    locale = get_locale()
    pattern = locale.currency_formats["standard"].pattern
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(amount, "EUR", format=pattern, locale=locale, currency_digits=False)


def mass(kilograms: Number | None) -> str:
    """A mass choosing kilograms or tonnes: "850 kg", "10,5 t"."""
    if kilograms is None:
        return ""
    value = float(kilograms)
    if abs(value) >= TONNE_FROM_KG:
        return f"{num(value / TONNE_FROM_KG, 1)}{NBSP}t"
    return f"{num(value, 0 if abs(value) >= 10 else 1)}{NBSP}kg"


def co2e(kilograms: Number | None) -> str:
    """CO2e emitted or avoided: "850 kg CO2e", "10,5 t CO2e"."""
    return "" if kilograms is None else f"{mass(kilograms)} CO2e"


def percent(ratio: Number | None) -> str:
    """A ratio as a percentage: 0.25 → "25 %" (French) or "25%" (English)."""
    return "" if ratio is None else format_percent(_plain(ratio))


def _is_plural(value: Number) -> bool:
    return get_locale().plural_form(abs(float(value))) != "one"


def _plural_word(word: str, language: str) -> str:
    lower = word.lower()
    if language == "fr":
        if lower.endswith(("s", "x", "z")):
            return word
        if lower.endswith(("eau", "au", "eu")) and lower not in {"pneu", "bleu"}:
            return word + "x"
        if lower.endswith("al") and lower not in _FRENCH_AL_PLURAL_S:
            return word[:-1] + "ux"
        return word + "s"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if lower.endswith("y") and lower[-2:-1] not in set("aeiou"):
        return word[:-1] + "ies"
    return word + "s"


def unit_for(value: Number, unit: str) -> str:
    """The unit in the form the number asks for: "1 jour", "0,5 jour", "3 jours", "3 kg".

    Units are free text typed by people ("nacelle", "heure de formation"), so the plural is the
    language's regular rule applied to the first word; symbols never change."""
    words = unit.split(" ", 1)
    first = words[0]
    if not _is_plural(value) or not first.isalpha() or first.lower() in _SYMBOLS or len(first) < 3:
        return unit
    words[0] = _plural_word(first, get_locale().language)
    return " ".join(words)


def qty(value: Number | None, unit: str | None = None) -> str:
    """A quantity and its unit: "1 nacelle", "0,5 jour", "3 jours"; the number alone without unit."""
    if value is None:
        return ""
    if not unit:
        return num(value)
    return f"{num(value)}{NBSP}{unit_for(value, unit.strip())}"


def measure(value: Number | None, unit: str | None = None) -> str:
    """A figure with the unit a table of figures declares: "€" is money, "kg" a mass (kg or t),
    "km" a distance, anything else a quantity of that unit."""
    if value is None:
        return ""
    if unit == "€":
        return money(value)
    if unit == "kg":
        return mass(value)
    if unit == "km":
        return f"{num(value, 0)}{NBSP}km"
    return qty(value, unit)


_MONTH_PATTERNS = {"long": "LLLL y", "short": "LLL y", "abbreviated": "LLL"}


def month(value: str | dt.date | None, width: str = "long") -> str:
    """A month: "mai 2027", "May 2027", from a date or a "2027-05" key. A chart's axis takes
    "short" ("déc. 2026") or "abbreviated" ("déc."), where a whole name would not fit."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(f"{value[:7]}-01")
    return format_date(value, _MONTH_PATTERNS[width])


def human(value: Any) -> Any:
    """A value about to be put into a sentence for a person: dates, moments and numbers formatted,
    anything else as it is. Notification texts run their parameters through this."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return when(value)
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, Km):
        return km_text(value)
    if isinstance(value, float | Decimal):
        return num(value)
    return value  # integers stay integers: msgids may format them with %(n)d


FILTERS = {
    "day": day,
    "when": when,
    "num": num,
    "km": km,
    "money": money,
    "mass": mass,
    "co2e": co2e,
    "qty": qty,
    "percent": percent,
    "measure": measure,
    "month": month,
    # Flask-Babel's own date filter, kept as an alias so that no page uses another format.
    "dateformat": day,
}


def is_message(value: Any) -> bool:
    """Whether a form error is a sentence to show: a string, or a lazy translation (WTForms keeps
    validators' `lazy_gettext` messages unevaluated), rather than a subform's dict or list of errors."""
    return isinstance(value, str) or hasattr(value, "__html__")


def install_filters(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.tests["message"] = is_message
