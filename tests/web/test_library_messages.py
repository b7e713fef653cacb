"""Every field message marshmallow (and webargs) can write reaches an API client in its language:
the libraries write English, often already formatted with the field's bounds or choices, and the
API answered "Must be greater than or equal to 1 and less than or equal to 1000." to a French
reader whose other messages were French. Built from the installed marshmallow, so that a message an
upgrade adds fails here until it is translated."""

from __future__ import annotations

import inspect
import re

from flask_babel import force_locale
from marshmallow import fields, validate
from marshmallow.schema import Schema

from mutualisation.library_messages import TEMPLATES, translated
from tests.builders import bearer, make_user

SAMPLES = {
    "input": "abc",
    "choices": "offer, need",
    "values": "a, b",
    "other": "x",
    "min": "1",
    "max": "1000",
    "equal": "3",
}
ENGLISH_WORDS = "Must|than|Not a valid|cannot|Length|Longer|Shorter|Invalid|Unknown|Missing|choices"
ENGLISH = re.compile(rf"\b({ENGLISH_WORDS})\b")
MESSAGE_ATTRIBUTES = ("message", "default_message")
VARIANTS = {"obj_type": ("date", "datetime", "time"), "awareness": ("naive", "aware")}


def _written(template: str) -> set[str]:
    """The texts a library template can become: its variants spelled out, its values filled in."""
    template = template.replace("{input!r}", repr(SAMPLES["input"]))
    texts = {template}
    for name, values in VARIANTS.items():
        if name == "obj_type" and "{awareness}" in template:
            values = ("datetime",)  # only date-times are naive or aware
        texts = {t.replace("{" + name + "}", v) for t in texts for v in values}
    return {t.format(**SAMPLES) for t in texts}


def _range_messages() -> set[str]:
    found = set()
    for low in (True, False):
        for high in (True, False):
            bounds = validate.Range(min=1, max=1000, min_inclusive=low, max_inclusive=high)
            found |= {bounds.message_min, bounds.message_max, bounds.message_all}
    return found


def library_messages() -> set[str]:
    found: set[str] = set()
    for _, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            found |= {m for c in cls.__mro__ for m in getattr(c, "default_error_messages", {}).values()}
    found |= set(Schema._default_error_messages.values())
    for _, cls in inspect.getmembers(validate, inspect.isclass):
        if issubclass(cls, validate.Validator) and cls is not validate.Range:
            texts = vars(cls).items()
            found |= {v for k, v in texts if isinstance(v, str) and k.startswith(MESSAGE_ATTRIBUTES)}
    found |= _range_messages()
    found.add("Invalid JSON body.")  # webargs'
    return {text for template in found for text in _written(template)}


def test_every_message_the_installed_marshmallow_writes_reads_in_french(app):
    written = library_messages()
    assert len(written) > 50  # the enumeration found the libraries' messages
    with app.test_request_context(), force_locale("fr"):
        french = {text: translated(text) for text in written}
    assert sorted(text for text, read in french.items() if read == text) == []
    # Matched to the right template: no English left over in the French.
    assert sorted(read for read in french.values() if ENGLISH.search(read)) == []


def test_a_formatted_message_keeps_its_values_in_either_language(app):
    message = "Must be greater than or equal to 1 and less than or equal to 1000."
    with app.test_request_context():
        with force_locale("fr"):
            assert translated(message) == "Doit être compris entre 1 et 1000, bornes incluses."
            assert translated('"31/02" cannot be formatted as a date.') == (
                "«\u00a031/02\u00a0» ne peut pas être écrit comme une date."
            )
            longer = "Longer than maximum length 200."
            assert translated(longer) == "Plus long que la longueur maximale de 200."
        with force_locale("en"):
            assert translated(message) == message
    assert all(TEMPLATES.count(t) == 1 for t in TEMPLATES)


def test_the_api_answers_a_french_reader_in_french_with_the_fields_bounds(client, session):
    headers = {**bearer(session, make_user(session, "technician", "76402")), "Accept-Language": "fr"}
    body = client.post(
        "/api/v1/alerts", json={"kind": "gift", "near": "76402", "radius_km": -5}, headers=headers
    ).get_json()["error"]["fields"]
    assert body["radius_km"] == ["Doit être compris entre 1 et 1000, bornes incluses."]
    assert body["kind"] == ["Doit être l'une de ces valeurs\u00a0: offer, need."]
    english = client.post(
        "/api/v1/alerts", json={"radius_km": "abc"}, headers={**headers, "Accept-Language": "en"}
    )
    assert english.get_json()["error"]["fields"]["radius_km"] == ["Not a valid number."]
    assert not re.search(r"\bMust be\b", str(body))
