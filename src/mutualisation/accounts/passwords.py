"""Password hashing (argon2) and the password policy. Pure: no Flask, no database."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..i18n import N_

_hasher = PasswordHasher()

# A short list of the passwords attackers try first (from public breach corpora), in the
# forms French users pick too. The policy also rejects passwords that are the e-mail.
COMMON_PASSWORDS = frozenset(
    [
        "123456",
        "123456789",
        "12345678",
        "1234567890",
        "password",
        "password1",
        "motdepasse",
        "motdepasse1",
        "azerty",
        "azertyuiop",
        "azerty123",
        "qwerty",
        "qwertyuiop",
        "111111",
        "000000",
        "123123",
        "abc123",
        "iloveyou",
        "soleil",
        "bonjour",
        "bonjour123",
        "marseille",
        "doudou",
        "loulou",
        "chouchou",
        "nicolas",
        "jetaime",
        "jetaime1",
        "admin",
        "admin123",
        "administrateur",
        "welcome",
        "welcome1",
        "letmein",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "princess",
        "sunshine",
        "passw0rd",
        "p@ssword",
        "mutualisation",
        "demo-password",
        "changeme",
        "changeme123",
        "mairie",
        "mairie123",
        "commune",
        "commune123",
        "0123456789",
        "1234512345",
        "aaaaaaaaaa",
        "qwerty123",
        "azertyazerty",
        "password123",
        "motdepasse123",
    ]
)

# The one password that ships in the demo data: allowed there (the README says to change it).
DEMO_PASSWORD = "demo-password"  # noqa: S105


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(
    password: str, *, min_length: int, email: str = "", allow_demo: bool = False
) -> list[str]:
    """Return the English msgids of what is wrong with `password` (empty when it is acceptable)."""
    if allow_demo and password == DEMO_PASSWORD:
        return []
    problems = []
    if len(password) < min_length:
        problems.append(N_("The password must be at least %(min)d characters long."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and lowered == email.lower()):
        problems.append(N_("This password is too common; choose another one."))
    elif len(set(password)) < 4:
        problems.append(N_("This password is too easy to guess; choose another one."))
    return problems


# A real hash, so that a login with an unknown e-mail takes as long as one with a wrong
# password: the timing does not tell an attacker which e-mails exist. Computed on first use, not
# at import: every CLI command (a `match run`, a backup) would otherwise pay an argon2 hash.
@functools.cache
def dummy_hash() -> str:
    return _hasher.hash("timing-equaliser-not-a-password")
