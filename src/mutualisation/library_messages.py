"""The field messages marshmallow and webargs write, in the reader's language.

The API validates with marshmallow, whose messages are English and often already formatted when we
see them ("Must be greater than or equal to 1 and less than or equal to 1000."): translating the
text as it comes finds no msgid. So every message those libraries can write is listed here as a
template, marked for the catalogues, and a formatted one is matched back to its template, whose
translation is then formatted with the same values. `tests/web/test_library_messages.py` builds
every message the installed marshmallow can write and checks that each one reads in French.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext

from .i18n import N_

# Every default message of marshmallow 4's fields, schemas and validators (and webargs' own), with
# the variants their code spells out: Range's bounds (inclusive or not), the date and time fields'
# type names. A placeholder stands for any text.
TEMPLATES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Invalid JSON body."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid number."),
    N_("Not a valid integer."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid period of time."),
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a datetime.'),
    N_('"{input}" cannot be formatted as a time.'),
    N_("{input} cannot be formatted as a timedelta."),
    N_("Not a valid UUID."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("One or more of the choices you made was in: {values}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("Must be equal to {other}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Longer than maximum length {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than {max}."),
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each template with placeholders, and the pattern its formatted English text matches."""
    found = []
    for template in TEMPLATES:
        pieces = _PLACEHOLDER.split(template)  # text, name, text, name, …, text
        if len(pieces) == 1:
            continue  # no placeholder: the catalogue finds it as it is
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(pieces))
        found.append((template, re.compile(regex, re.DOTALL)))
    # The most literal text first: "Must be greater than or equal to {min}." would otherwise take
    # "… to 1 and less than or equal to 1000." with "1 and less than …" as its minimum.
    return tuple(sorted(found, key=lambda found: -len(_PLACEHOLDER.sub("", found[0]))))


def translated(message: str) -> str:
    """`message` in the current locale: through the catalogue, else matched back to a template."""
    own = gettext(message)
    if own != message:
        return own
    for template, pattern in _patterns():
        values = pattern.fullmatch(message)
        if values:
            return gettext(template).format(**values.groupdict())
    return message
