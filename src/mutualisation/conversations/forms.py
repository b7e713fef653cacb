"""The one form of conversations: a message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .models import MAX_BODY


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"), validators=[DataRequired(_l("Write a message.")), Length(max=MAX_BODY)]
    )
