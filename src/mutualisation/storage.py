"""Where uploaded files live: one small interface, two backends chosen by the `STORAGE_BACKEND`
setting.

- `local` (the embedded default): a folder under the instance path, as simple as it gets for one
  machine.
- `database`: a `blobs` table in the application's own database, so that every worker on every
  machine behind a proxy reads the same files without any extra service to run.

Keys are relative, slash-separated names chosen by the code (`agreements/12/<random>.jpg`), never
by a user; they are still checked, so that no key can leave the folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UTCDateTime, transaction, utcnow

BACKENDS = ("local", "database")
_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*(\.[a-z0-9]+)?$")


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


def checked_key(key: str) -> str:
    if len(key) > 255 or not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalFolderStorage:
    """Files in a folder of this machine."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*checked_key(key).split("/"))

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class Blob(Base):
    """A stored file of the database backend."""

    __tablename__ = "blobs"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DatabaseStorage:
    """Files in the application's database, each write committed on a session of its own, so that
    the file exists once `put` returns, as with a folder (the caller removes it if its own
    transaction fails)."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def put(self, key: str, data: bytes) -> None:
        session = self.sessions()
        try:
            with transaction(session):
                session.merge(Blob(key=checked_key(key), data=data, created_at=utcnow()))
        finally:
            session.close()

    def get(self, key: str) -> bytes | None:
        session = self.sessions()
        try:
            return session.scalar(select(Blob.data).where(Blob.key == checked_key(key)))
        finally:
            session.close()

    def delete(self, key: str) -> None:
        session = self.sessions()
        try:
            with transaction(session):
                session.execute(delete(Blob).where(Blob.key == checked_key(key)))
        finally:
            session.close()


def storage_for(app: Any) -> Storage:
    """The backend the app's settings name; a storage object holds no request state, so one per app."""
    cached = app.extensions.get("mutualisation.storage")
    if cached is not None:
        return cached
    backend = app.config.get("STORAGE_BACKEND", "local")
    if backend == "local":
        root = app.config.get("STORAGE_LOCAL_ROOT") or str(Path(app.instance_path) / "uploads")
        storage: Storage = LocalFolderStorage(Path(root))
    elif backend == "database":
        storage = DatabaseStorage(lambda: app.extensions["mutualisation.sessions"]())
    else:
        raise ValueError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    app.extensions["mutualisation.storage"] = storage
    return storage
