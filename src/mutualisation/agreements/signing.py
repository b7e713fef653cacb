"""The convention's paper trail: the PDF issued for signature, the signatures that trace what was
signed, and approvals that attach their act.

- The first time a party (or an admin) asks for the convention of an approved agreement, its PDF
  is rendered once and stored (`storage.py`) with its SHA-256: every later request is served
  these exact bytes, so the hash a signer checks is the hash of what they read.
- A party signs in the app (the record holds the issued PDF's hash, which the signer's page sent
  back: a changed document is a 409), or uploads the copy signed by hand (the record holds the
  scan's hash and keeps the scan). Once both have signed, the convention is frozen
  (`effects._signature`): its fingerprint is printed on the PDF served from then on.
- The rendering is handed in (`convention_document.render`): services do not know templates.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..audit.services import record
from ..db import transaction
from ..errors import Conflict, NotFound, RuleViolation
from ..i18n import N_
from ..storage import Storage
from . import queries, services
from .effects import SignedDocument
from .models import Agreement
from .vocabulary import SignatureMethod, Status

Renderer = Callable[[Agreement], bytes]

PDF_MAGIC: Final = b"%PDF-"
DEFAULT_MAX_PDF_BYTES: Final = 10 * 1024 * 1024
NOT_A_PDF: Final = N_("Only a PDF file is accepted.")
PDF_TOO_LARGE: Final = N_("This PDF is too large.")
_LOST: Final = N_("The convention issued for signature can no longer be found. Please tell an administrator.")
_CHANGED: Final = N_("The convention has changed since you read it. Please read it again before signing.")


@dataclass(frozen=True)
class ConventionFile:
    """The convention PDF to serve: the issued bytes, or the frozen rendering with its fingerprint."""

    data: bytes
    sha256: str
    frozen: bool


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_pdf(data: bytes, max_bytes: int) -> str | None:
    """None for an acceptable PDF, or the (untranslated) message that says why it is refused."""
    if len(data) > max_bytes:
        return PDF_TOO_LARGE
    if not data.startswith(PDF_MAGIC):
        return NOT_A_PDF
    return None


def _checked(data: bytes, max_bytes: int, field: str) -> bytes:
    problem = check_pdf(data, max_bytes)
    if problem is not None:
        raise RuleViolation(N_("Please correct the highlighted fields."), fields={field: [problem]})
    return data


def _key(agreement_id: int, what: str) -> str:
    return f"agreements/{int(agreement_id)}/{what}-{secrets.token_hex(16)}.pdf"


def convention_file(
    session: Session, user: User | None, agreement_id: int, render: Renderer, storage: Storage
) -> ConventionFile:
    """The convention PDF for a party or an admin (403/404 otherwise), issuing it the first time."""
    agreement = queries.get(session, user, agreement_id)
    if agreement.convention_generated_at is None:
        raise NotFound(N_("The document exists once every territory party has approved the agreement."))
    if agreement.convention_sha256 is not None:
        return ConventionFile(render(agreement), agreement.convention_sha256, frozen=True)
    if agreement.convention_pdf_key is not None:
        data = storage.get(agreement.convention_pdf_key)
        if data is not None:
            return ConventionFile(data, agreement.convention_pdf_sha256 or sha256(data), frozen=False)
        if agreement.status == Status.APPROVED:
            # The issued bytes are what signers check: another rendering would not be them (and
            # `_issue` would defer to the recorded key, asking for the lost file again).
            raise NotFound(_LOST)
    if agreement.status != Status.APPROVED:
        # Signed before signatures were traced: shown as it stands, never stored.
        data = render(agreement)
        return ConventionFile(data, sha256(data), frozen=False)
    return _issue(session, user, agreement, render, storage)


def _issue(
    session: Session, user: User | None, agreement: Agreement, render: Renderer, storage: Storage
) -> ConventionFile:
    """Render and store the PDF to sign (outside the lock: WeasyPrint takes a while), then record
    it unless another request issued one meanwhile, in which case that one is served."""
    agreement_id = agreement.id
    data = render(agreement)
    digest, key = sha256(data), _key(agreement_id, f"convention-{agreement.amendment}")
    storage.put(key, data)
    try:
        with transaction(session):
            locked = queries.lock(session, agreement_id)
            winner = locked.convention_pdf_key is None
            if winner:
                locked.convention_pdf_key, locked.convention_pdf_sha256 = key, digest
                record(
                    session,
                    user.id if user is not None else None,
                    "agreement.convention_issued",
                    "agreement",
                    agreement_id,
                    sha256=digest,
                    amendment=locked.amendment,
                )
    except BaseException:
        storage.delete(key)
        raise
    if winner:
        return ConventionFile(data, digest, frozen=False)
    storage.delete(key)
    return convention_file(session, user, agreement_id, render, storage)


@dataclass(frozen=True)
class SignRequest:
    """A signature as the doors hand it in: the payload's fields, and the scan for an upload."""

    payload: Mapping[str, Any]
    scan: bytes | None = None
    max_bytes: int = DEFAULT_MAX_PDF_BYTES


def sign(
    session: Session,
    user: User,
    agreement_id: int,
    request: SignRequest,
    *,
    render: Renderer,
    storage: Storage,
) -> Agreement:
    """Sign the issued convention for the user's party, in the app or with the scan signed by hand."""
    payload = dict(request.payload)
    method = payload.get("method") or SignatureMethod.IN_APP
    if queries.get(session, user, agreement_id).status != Status.APPROVED:
        # Nothing to sign yet (or any more): the lifecycle says why, as for any other action.
        payload.pop("document_sha256", None)
        return services.transition(session, user, agreement_id, "sign", payload)
    issued = convention_file(session, user, agreement_id, render, storage)
    seen = payload.pop("document_sha256", None)
    if seen and seen != issued.sha256:
        raise Conflict(_CHANGED)
    stored: str | None = None
    if method == SignatureMethod.UPLOAD:
        if not request.scan:
            message = N_("Upload the agreement signed by hand, as a PDF.")
            raise RuleViolation(N_("Please correct the highlighted fields."), fields={"scan": [message]})
        scan = _checked(request.scan, request.max_bytes, "scan")
        stored = _key(agreement_id, "signed")
        storage.put(stored, scan)
        signed = SignedDocument(sha256(scan), stored, issued.sha256)
    else:
        agreement = queries.get(session, user, agreement_id)
        signed = SignedDocument(issued.sha256, agreement.convention_pdf_key, issued.sha256)

    def same_document(locked: Agreement) -> None:
        if locked.convention_pdf_sha256 != issued.sha256:
            raise Conflict(_CHANGED)

    attached = services.Attached(signed=signed, check=same_document)
    try:
        return services.transition(session, user, agreement_id, "sign", payload, attached=attached)
    except BaseException:
        if stored is not None:
            storage.delete(stored)
        raise


def approve(
    session: Session,
    user: User,
    agreement_id: int,
    payload: Mapping[str, Any],
    *,
    document: bytes | None,
    storage: Storage,
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
) -> Agreement:
    """Approve with the act that carries the decision, attached as a PDF when given."""
    if not document:
        return services.transition(session, user, agreement_id, "approve", payload)
    data = _checked(document, max_bytes, "decision_document")
    key = _key(agreement_id, "decision")
    storage.put(key, data)
    try:
        attached = services.Attached(decision_document_key=key)
        return services.transition(session, user, agreement_id, "approve", payload, attached=attached)
    except BaseException:
        storage.delete(key)
        raise


def stored_pdf(
    session: Session, user: User | None, agreement_id: int, kind: str, item_id: int, storage: Storage
) -> bytes:
    """A decision act (`kind` "approval") or a signed PDF (`kind` "signature"), for readers only."""
    agreement = queries.get(session, user, agreement_id)
    if kind == "approval":
        keys = {a.id: a.decision_document_key for a in agreement.approvals}
    else:
        keys = {s.id: s.document_key for s in agreement.signatures}
    key = keys.get(item_id)
    data = storage.get(key) if key else None
    if data is None:
        raise NotFound(N_("This document does not exist."))
    return data
