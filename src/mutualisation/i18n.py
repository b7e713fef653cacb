"""Marking strings for translation where they are not translated yet.

Services and pure rules raise errors with English msgids marked `N_(...)`, so that
`pybabel extract -k N_` finds them; the error handler translates them in the reader's
language at the moment the response is rendered.
"""

from __future__ import annotations

# An English msgid, or the (singular, plural) pair of a message that counts something (`NP_`).
Text = str | tuple[str, str]


def N_(message: str) -> str:
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """A text with a plural form, translated later: the form is picked for its `count` parameter
    with ngettext, in the reader's language (`notifications.messages.translate`; `pybabel extract
    -k NP_:1,2` finds both)."""
    return (singular, plural)


def reader_language() -> str:
    """The reader's language among the interface's two: English when the request asks for it, else
    French, the default (outside a request too: the CLI, the scheduler's jobs)."""
    from flask_babel import get_locale  # here, so that the pure modules importing this one need no Flask

    return "en" if str(get_locale() or "fr").startswith("en") else "fr"
