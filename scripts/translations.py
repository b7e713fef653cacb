"""Keep the catalogues in step with the code: extract, update, fill French from a table, compile.

Usage: python scripts/translations.py [fr-table.toml ...]
Each table maps English msgids to French, `"msgid" = "traduction"`; a plural message (ngettext)
maps its singular msgid to the list of French forms, `"%(num)d day" = ["%(num)d jour", "%(num)d jours"]`;
a message with a context (pgettext) is keyed "context|msgid", `"suggestions counted|Accepted" = "Acceptées"`.
English needs no table: its catalogue is compiled with empty translations, which gettext answers
with the msgid. French typography is applied here, once, to every table: a non-breaking space
before « : ; ! ? » and inside guillemets, and "straight quotes" become « guillemets ».
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "src" / "mutualisation" / "translations"
POT = TRANSLATIONS / "messages.pot"
NBSP = "\u00a0"
KEYWORDS = [
    "-k",
    "_l",
    "-k",
    "lazy_gettext",
    "-k",
    "N_",
    "-k",
    "ngettext:1,2",
    "-k",
    "lazy_ngettext:1,2",
    "-k",
    "NP_:1,2",
]
_QUOTED = re.compile(r'(?<![=\w])"([^"<>]+)"')
_SPACE_BEFORE = re.compile(r"[ \u202f]([:;!?])")
_NO_SPACE_BEFORE = re.compile(r"(?<!Authorization)(?<=[^\s\u00a0\u202f(%/:])([;!?]|:(?=\s))(?=\s|$)")


def french_typography(text: str) -> str:
    """Non-breaking spaces before « : ; ! ? » and inside guillemets; straight quotes to guillemets.

    A colon is spaced only when a space follows it, so URLs and times ("13:18") stay as they are."""
    text = _QUOTED.sub(lambda m: f"«{NBSP}{m.group(1).strip()}{NBSP}»", text)
    text = re.sub(r"«[ \u202f\u00a0]?", f"«{NBSP}", text)
    text = re.sub(r"[ \u202f\u00a0]?»", f"{NBSP}»", text)
    text = _SPACE_BEFORE.sub(lambda m: NBSP + m.group(1), text)
    text = text.replace(" %%", f"{NBSP}%%")  # "85 %": a number and its percent sign stay together
    text = text.replace("n° ", f"n°{NBSP}")
    return _NO_SPACE_BEFORE.sub(lambda m: NBSP + m.group(1), text)


def _forms(value: str | list[str], count: int) -> str | tuple[str, ...]:
    """A table's [singular, plural] spread over the catalogue's forms (French has three in CLDR:
    one, many as in "1 000 000 de", other), the plural repeated."""
    if isinstance(value, str):
        return value
    return tuple(value[min(i, len(value) - 1)] for i in range(count))


def french_of(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(french_typography(form) for form in value)
    return french_typography(value)


def run(*args: str) -> None:
    subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def main(tables: list[str]) -> int:
    bin_dir = Path(sys.executable).parent
    run(
        str(bin_dir / "pybabel"),
        "extract",
        "-F",
        "babel.cfg",
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        "src",
        "templates",
    )
    run(
        str(bin_dir / "pybabel"),
        "update",
        "-i",
        str(POT),
        "-d",
        str(TRANSLATIONS),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    extra: dict[str, str] = {}
    for table in tables:
        with open(table, "rb") as fh:
            extra.update(tomllib.load(fh))
    for locale in ("fr", "en"):
        po_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        if locale == "fr":
            for message in catalog:
                key = message.id if isinstance(message.id, str) else message.id[0]
                key = f"{message.context}|{key}" if message.context else key
                if key in extra and isinstance(message.id, str) == isinstance(extra[key], str):
                    message.string = _forms(extra[key], catalog.num_plurals)
                if message.id and message.string:
                    message.string = french_of(message.string)
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, no_location=True)
        with (po_path.with_suffix(".mo")).open("wb") as fh:
            write_mo(fh, catalog)
    missing = [
        m.id
        for m in read_po((TRANSLATIONS / "fr/LC_MESSAGES/messages.po").open("rb"))
        if m.id and (not m.string if isinstance(m.string, str) else not all(m.string))
    ]
    for msgid in missing:
        print(f"missing French: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
