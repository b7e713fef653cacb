from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..accounts.forms import ROLE_CHOICES
from ..territories.forms import CommuneField
from ..territories.services import COMMUNES_AND_EPCIS


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[c for c in ROLE_CHOICES if c[0] != "admin"])
    territory = CommuneField(
        _l("Territory (commune name, postcode, INSEE or SIREN code)"),
        validators=[DataRequired()],
        kinds=COMMUNES_AND_EPCIS,
    )


class AcceptInvitationForm(NewPasswordForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])


class JoinForm(FlaskForm):
    territory = CommuneField(
        _l("Commune or intercommunality (name, postcode, INSEE or SIREN code)"),
        validators=[DataRequired()],
        kinds=COMMUNES_AND_EPCIS,
    )
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    motivation = TextAreaField(_l("Why do you want to join?"), validators=[DataRequired(), Length(max=4000)])


class ConfirmForm(FlaskForm):
    """A button that changes state: CSRF only."""


class PresentationForm(FlaskForm):
    presentation = TextAreaField(_l("Presentation"), validators=[Optional(), Length(max=8000)])
    version = HiddenField()


class PublicProfileForm(FlaskForm):
    name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=200)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    email_public = BooleanField(_l("Show my e-mail address on my territory's public page"))
