"""The one commune field of every form: a typed name, postcode or INSEE code, resolved once.

Every form that asks for a commune (browsing "near", joining, inviting) uses `CommuneField`, so
that they all accept the same spellings and answer the same way: a unique match resolves, several
matches offer a choice (radio buttons named ``<field>_code``), none gets a French message. After
a pick the input shows the commune's name; its code travels in the hidden ``<field>_code``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from ..web import db_session
from .models import Territory
from .services import COMMUNES, UNKNOWN_COMMUNE, resolve

SEVERAL = _l("Several communes match: choose one below.")


class CommuneField(StringField):
    """A commune (or, with ``kinds=COMMUNES_AND_EPCIS``, an intercommunality) typed freely."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, kinds: tuple[str, ...] = COMMUNES, **kw: Any
    ):
        kw.setdefault("render_kw", {})
        kw["render_kw"] = {"autocomplete": "off", "maxlength": 200, **kw["render_kw"]}
        super().__init__(label, validators, **kw)
        self.kinds = kinds
        self.picked: str | None = None
        self.territory: Territory | None = None
        self.matches: list[Territory] = []

    @property
    def code_name(self) -> str:
        return f"{self.name}_code"

    @property
    def code(self) -> str | None:
        """The resolved territory's code (None until validated, or when left empty)."""
        return self.territory.code if self.territory is not None else None

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.picked = (formdata.get(self.code_name) or "").strip() or None

    def prefill(self, text: str) -> None:
        """Show a commune given by a link (often its code) as a pick: its name, its code kept."""
        found = resolve(db_session(), text, kinds=self.kinds) if text else []
        if len(found) == 1:
            self.show(found[0])
        else:
            self.data = text

    def show(self, territory: Territory) -> None:
        """Show a territory already found as the pick: its name, its code kept."""
        self.data, self.picked = territory.name, territory.code

    def pre_validate(self, form: Any) -> None:
        text = (self.data or "").strip()
        self.territory, self.matches = None, []
        if not text:
            return
        found = resolve(db_session(), text, picked=self.picked, kinds=self.kinds)
        if not found:
            raise ValidationError(gettext(UNKNOWN_COMMUNE))
        if len(found) > 1:
            self.matches = found
            raise ValidationError(SEVERAL)
        self.territory = found[0]
        # Shown back as its name, whatever was typed (a code, a postcode, a lower-case name).
        self.data, self.picked = self.territory.name, self.territory.code
