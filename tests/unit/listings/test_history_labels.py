"""A listing's history never shows what the code wrote for itself: "agreement #5", an ISO date."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

import mutualisation
from mutualisation.listings.labels import reason_label


@pytest.fixture(scope="module")
def app():
    application = Flask(__name__)
    application.config["BABEL_TRANSLATION_DIRECTORIES"] = str(
        Path(mutualisation.__file__).parent / "translations"
    )
    Babel(application)
    return application


@pytest.mark.parametrize(
    ("stored", "french", "english"),
    [
        ("agreement #5", "Convention n°\u00a05", "Agreement no. 5"),
        ("renewed until 2027-05-03", "Renouvelée jusqu'au 3 mai 2027", "Renewed until May 3, 2027"),
        (
            "available_until passed",
            "La période de disponibilité est passée",
            "The availability window has passed",
        ),
        ("other: prêté à Arras", "Autre raison\u00a0: prêté à Arras", "Other reason: prêté à Arras"),
        ("exchanged_elsewhere", "Échangé ailleurs", "Exchanged elsewhere"),
    ],
)
def test_comments_the_code_wrote_read_in_the_readers_language(app, stored, french, english):
    with app.test_request_context():
        with force_locale("fr"):
            assert reason_label(stored) == french
        with force_locale("en"):
            assert reason_label(stored) == english
