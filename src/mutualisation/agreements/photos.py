"""Photos attached to handover, return and incident reports.

Checked by their first bytes (never by the name or the type the browser claims), stored through
the app's storage (`storage.py`: a local folder or the database) under a random name, and served
only through a route that asks the service whether the user may read the agreement. No Flask
here: the storage is handed in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Final

from ..i18n import N_
from ..storage import Storage

# The actions whose report may carry photos.
PHOTO_ACTIONS: Final = frozenset({"start", "report_incident", "return"})
_SIGNATURES: Final = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
MEDIA_TYPES: Final = {"jpg": "image/jpeg", "png": "image/png"}
# What a stored name looks like: anything else is refused before touching the disk.
NAME_PATTERN: Final = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")

NOT_AN_IMAGE: Final = N_("Only JPEG or PNG photos are accepted.")
TOO_LARGE: Final = N_("Each photo must weigh at most %(mib)s MiB.")


@dataclass(frozen=True)
class Photo:
    """A checked upload, ready to be stored."""

    data: bytes
    extension: str


def kind_of(data: bytes) -> str | None:
    """'jpg' or 'png' from the magic bytes, None for anything else."""
    for signature, extension in _SIGNATURES:
        if data.startswith(signature):
            return extension
    return None


def check(data: bytes, max_bytes: int) -> Photo | str:
    """A Photo, or the (untranslated) message that says why it is refused."""
    if len(data) > max_bytes:
        return TOO_LARGE
    extension = kind_of(data)
    if extension is None:
        return NOT_AN_IMAGE
    return Photo(data, extension)


def key(agreement_id: int, name: str) -> str:
    return f"agreements/{int(agreement_id)}/{name}"


def store(storage: Storage, agreement_id: int, photo: Photo) -> str:
    """Write the photo under a random name (unguessable, never the uploader's) and return that name."""
    name = f"{secrets.token_hex(16)}.{photo.extension}"
    storage.put(key(agreement_id, name), photo.data)
    return name


def discard(storage: Storage, agreement_id: int, names: list[str]) -> None:
    """Remove photos written for a transition that did not commit."""
    for name in names:
        storage.delete(key(agreement_id, name))


def read(storage: Storage, agreement_id: int, name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of a stored photo, or None when the name is not one of ours or the
    file is gone."""
    if not NAME_PATTERN.match(name):
        return None
    data = storage.get(key(agreement_id, name))
    return None if data is None else (data, MEDIA_TYPES[name.rsplit(".", 1)[1]])
