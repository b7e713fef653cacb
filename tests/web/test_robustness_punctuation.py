"""A label and its value are joined by the translated "%(label)s: %(value)s", never by a colon a
template writes itself: French puts a no-break space before the colon, English none, and a colon
written in a template gave one language the other's punctuation ("Draft : 1", "Trop loin: 1")."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A value's output, a colon with at most a space on either side, then another output or a tag.
SELF_WRITTEN_COLON = re.compile(r"\}\}\s?:\s?\{[{%]")


def test_no_template_writes_the_colon_between_a_label_and_its_value():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for pattern in ("*.html", "*.txt")
        for path in TEMPLATES.rglob(pattern)
        for match in SELF_WRITTEN_COLON.finditer(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_the_check_sees_the_cases_it_was_written_for():
    for written in ("{{ k }}: {{ v }}", "{{ label }} : {{ n }}", "{{ name }} : {% if x %}"):
        assert SELF_WRITTEN_COLON.search(written), written
    assert not SELF_WRITTEN_COLON.search('{{ _("%(label)s: %(value)s", label=k, value=v) }}')
