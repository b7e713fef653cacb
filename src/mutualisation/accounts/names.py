"""How a person is named to others. Pure: no database, no request.

An e-mail address is personal data: it is never shown as a name. A person without a name is
named by what the network needs to know, their role and their town ("Technicien·ne – Malaunay").
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "technician": _l("Technician"),
    "official": _l("Elected official"),
    "actor": _l("Local actor"),
    "admin": _l("Network facilitator"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def display_name(name: str | None, role: str, territory_name: str | None) -> str:
    """The name, or the role and the territory when there is none; never the e-mail address."""
    name = " ".join((name or "").split())
    if name:
        return name
    return f"{role_label(role)} – {territory_name}" if territory_name else role_label(role)
