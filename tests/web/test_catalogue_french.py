"""Every text of the French catalogue is French: filled in, and not the English msgid copied over.

A translation equal to its msgid passes every other check: gettext answers it, the catalogue has no
hole, and the browser crawl skips it (it cannot tell English from French where the two are equal).
So "Agreement (PDF)" stood on French agreement pages. Words that French writes as English does
("Description", "Version %(n)d") are listed here: a copy that is not among them fails.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

FRENCH = Path(__file__).resolve().parents[2] / "src/mutualisation/translations/fr/LC_MESSAGES/messages.po"

# Written alike in both languages: names, units, codes and words French shares with English.
ALIKE = frozenset(
    {
        "%(km)s km",
        "Actions",
        "Administration",
        "Commune",
        "Conditions",
        "Contacts",
        "Contradiction",
        "Contradictions",
        "Date",
        "Description",
        "INSEE %(code)s",
        "Impact",
        "Information",
        "Invitations",
        "Latitude",
        "Longitude",
        "Messages",
        "Mutualisation",
        "Note",
        "Notification",
        "Notifications",
        "Organisation",
        "Pagination",
        "Parties",
        "Population",
        "SIREN %(code)s",
        "Satisfaction",
        "Signatures",
        "Suggestions",
        "Type",
        "Version",
        "Version %(n)d",
        "active",
        "pts",
        "satisfaction %(n)d/5",
        "score %(points)s / 100",
    }
)


def _pairs(message) -> list[tuple[str, str]]:
    """(English, French) of each form of a message: a plural's French forms after the first
    stand beside the English plural."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [(ids[min(i, len(ids) - 1)], text) for i, text in enumerate(strings)]


def copied_or_missing(catalogue) -> list[str]:
    found = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        for english, french in _pairs(message):
            if not french:
                found.append(f"missing: {english!r}")
            elif french == english and english not in ALIKE:
                found.append(f"copied from English: {english!r}")
    return found


def test_every_french_text_is_filled_in_and_translated():
    with FRENCH.open("rb") as po:
        catalogue = read_po(po, locale="fr")
    assert copied_or_missing(catalogue) == []


def test_the_check_sees_a_copy_and_a_hole_but_not_a_word_both_languages_write_alike():
    from babel.messages.catalog import Catalog

    catalogue = Catalog(locale="fr")
    catalogue.add("Agreement (PDF)", "Agreement (PDF)")
    catalogue.add("Save", "")
    catalogue.add("Description", "Description")
    catalogue.add(("%(num)d listing", "%(num)d listings"), ("%(num)d annonce", "%(num)d listings"))
    assert copied_or_missing(catalogue) == [
        "copied from English: 'Agreement (PDF)'",
        "missing: 'Save'",
        "copied from English: '%(num)d listings'",
    ]
