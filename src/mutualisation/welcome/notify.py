"""The e-mails of the way in, worded once for the web pages and the API."""

from __future__ import annotations

from ..core_views import ROLE_LABELS
from ..i18n import N_
from . import rules
from .invitations import INVITATION_LIFETIME, NewInvitation
from .mailing import send_link_email
from .reset import ResetRequest


def send_reset(request: ResetRequest | None) -> None:
    """Nothing to send for an unknown e-mail; the caller answers the same either way."""
    if request is None:
        return
    send_link_email(
        to=request.user.email,
        locale=request.user.locale or "fr",
        subject=N_("Reset your Mutualisation password"),
        template="account_reset",
        key="password-reset-" + rules.hash_token(request.token)[:24],
        path=f"/reset/{request.token}",
    )


def send_invitation(new: NewInvitation, inviter_name: str, locale: str = "fr") -> bool:
    invitation = new.invitation
    return send_link_email(
        to=invitation.email,
        locale=locale,
        subject=N_("You are invited to join Mutualisation"),
        template="account_invitation",
        key=f"invitation-{invitation.id}",
        path=f"/invitations/{new.token}",
        inviter=inviter_name,
        role=ROLE_LABELS.get(invitation.role, invitation.role),
        territory=invitation.territory.name,
        days=INVITATION_LIFETIME.days,
    )
