"""The one formatting layer: what a person reads for a date, a moment, a number, an amount, a unit."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel, force_locale

from mutualisation import formatting as f
from mutualisation.geo import Km

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture(scope="module")
def app():
    application = Flask(__name__)
    application.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Paris"
    application.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(f.__file__).parent / "translations")
    Babel(application)
    f.install_filters(application)
    return application


@pytest.fixture
def fr(app):
    with app.test_request_context(), force_locale("fr"):
        yield


@pytest.fixture
def en(app):
    with app.test_request_context(), force_locale("en"):
        yield


def test_days_read_as_words(fr):
    assert f.day(dt.date(2027, 5, 3)) == "3 mai 2027"
    assert f.day(None) == ""
    # 23:30 UTC on 2 May is already 3 May in Paris.
    assert f.day(dt.datetime(2027, 5, 2, 23, 30, tzinfo=dt.UTC)) == "3 mai 2027"


def test_moments_are_shown_in_paris_time(fr):
    assert f.when(dt.datetime(2026, 11, 30, 12, 18)) == "30 novembre 2026 à 13:18"  # naive is UTC
    assert f.when(dt.datetime(2027, 7, 1, 12, 18, tzinfo=dt.UTC)) == "1er juillet 2027 à 14:18"


def test_a_months_first_day_is_an_ordinal_in_french_only(fr, app):
    assert f.day(dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert f.day(dt.date(2026, 12, 11)) == "11 décembre 2026"
    assert f.day(dt.date(2026, 12, 21)) == "21 décembre 2026"
    assert f.day(dt.date(2026, 12, 1), "full") == "mardi 1er décembre 2026"
    assert f.day(dt.date(2026, 12, 1), "short") == "01/12/2026"
    with force_locale("en"):
        assert f.day(dt.date(2026, 12, 1)) == "December 1, 2026"


def test_english_dates_and_moments(en):
    assert f.day(dt.date(2027, 5, 3)) == "May 3, 2027"
    assert f.when(dt.datetime(2026, 11, 30, 12, 18)) == f"November 30, 2026 at 1:18{NNBSP}PM"


def test_numbers_never_show_useless_decimals_nor_scientific_notation(fr):
    assert f.num(1.0) == "1"
    assert f.num(0.5) == "0,5"
    assert f.num(10452.0) == f"10{NNBSP}452"
    assert f.num(1e20) == "100" + f"{NNBSP}000" * 6
    assert "e" not in f.num(1.2e-7)
    assert f.num(Decimal("2.50")) == "2,5"
    assert f.num(0.1 + 0.2) == "0,3"


def test_money(fr):
    assert f.money(1500) == f"1{NNBSP}500{NBSP}€"
    assert f.money(12.5) == f"12,50{NBSP}€"
    assert f.money(None) == ""


def test_money_in_english(en):
    assert f.money(1500) == "€1,500"
    assert f.money(12.5) == "€12.50"


def test_masses_choose_kilograms_or_tonnes(fr):
    assert f.co2e(10452.0) == f"10,5{NBSP}t CO2e"
    assert f.co2e(850) == f"850{NBSP}kg CO2e"
    assert f.mass(2.26) == f"2,3{NBSP}kg"
    assert f.co2e(-1200) == f"-1,2{NBSP}t CO2e"


def test_quantities_take_the_plural_of_the_language(fr):
    assert f.qty(1.0, "nacelle") == f"1{NBSP}nacelle"
    assert f.qty(0.5, "jour") == f"0,5{NBSP}jour"
    assert f.qty(3, "jour") == f"3{NBSP}jours"
    assert f.qty(2, "heure de formation") == f"2{NBSP}heures de formation"
    assert f.qty(4, "panneau") == f"4{NBSP}panneaux"
    assert f.qty(3, "kg") == f"3{NBSP}kg"
    assert f.qty(2, None) == "2"


def test_english_plurals(en):
    assert f.qty(1, "day") == f"1{NBSP}day"
    assert f.qty(0.5, "day") == f"0.5{NBSP}days"
    assert f.qty(3, "battery") == f"3{NBSP}batteries"
    assert f.qty(2, "bench") == f"2{NBSP}benches"


def test_percent_and_distance_and_month(fr):
    assert f.percent(0.25) == f"25{NBSP}%"
    assert f.km(2.54) == "2,5"
    assert f.km(38.4) == "38"
    assert f.month("2027-05") == "mai 2027"
    assert f.month("2026-12", "short") == "déc. 2026"
    assert f.month("2026-12", "abbreviated") == "déc."


def test_the_filters_keep_their_names(app):
    with app.test_request_context(), force_locale("fr"):
        html = render_template_string(
            "{{ d|day }}|{{ 1500|money }}|{{ 3|qty('jour') }}|{{ 10452|co2e }}|{{ 2.0|num }}",
            d=dt.date(2027, 5, 3),
        )
    assert html == f"3 mai 2027|1{NNBSP}500{NBSP}€|3{NBSP}jours|10,5{NBSP}t CO2e|2"


def test_notification_parameters_are_formatted_for_people(fr):
    assert f.human(dt.date(2027, 5, 3)) == "3 mai 2027"
    assert f.human(2.0) == "2"
    assert f.human(3) == 3  # "%(n)d" must still get an integer
    assert f.human("Broyeur") == "Broyeur"
    # A distance keeps its unit on the same line, its number written as the reader writes it.
    assert f.human(Km(1250.4)) == f"1{NNBSP}250{NBSP}km"
    assert f.human(Km(7.26)) == f"7,3{NBSP}km"


def _typography():
    spec = importlib.util.spec_from_file_location(
        "translations_script", Path(__file__).resolve().parents[3] / "scripts" / "translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.french_typography


def test_french_typography_is_applied_to_the_catalogue():
    typography = _typography()
    assert typography("Source : %(url)s") == f"Source{NBSP}: %(url)s"
    assert typography("Merci: x") == f"Merci{NBSP}: x"
    assert typography('Le "titre" est là !') == f"Le «{NBSP}titre{NBSP}» est là{NBSP}!"
    assert typography("à 13:18, https://x.fr") == "à 13:18, https://x.fr"
    assert typography("couverte à %(p)s %%") == f"couverte à %(p)s{NBSP}%%"
    assert typography('<a href="x">ok</a> ?') == f'<a href="x">ok</a>{NBSP}?'
