"""Passwords: Argon2id hashes (argon2-cffi defaults, RFC 9106) and a policy with reasons."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
#: Passwords seen first in breach lists; the policy refuses them whatever their length.
COMMON = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiop12",
        "administrator",
        "skywatch1234",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "passw0rd1234",
        "changeme1234",
    }
)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def policy_problems(password: str, username: str) -> list[str]:
    """Every reason the password is refused (empty when acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    if password.lower() in COMMON:
        problems.append("is a commonly used password")
    if len(set(password)) < 5:
        problems.append("must use at least 5 different characters")
    return problems
