"""How people are named in public: never by their e-mail address."""

from __future__ import annotations

from flask_babel import gettext


def public_name(user) -> str:
    return (user.name or "").strip() or gettext("A member of %(territory)s", territory=user.territory.name)
