"""Argon2id password hashing with parameters from the configuration."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# A hash of a random password, checked when the email is unknown so that a wrong
# email costs the same time as a wrong password.
_DECOY: dict[tuple, str] = {}


def hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    ph = hasher()
    if password_hash is None:
        key = (ph.time_cost, ph.memory_cost, ph.parallelism)
        if key not in _DECOY:
            _DECOY[key] = ph.hash("decoy password that nobody has")
        password_hash = _DECOY[key]
        password = password + "\0never"
    try:
        return ph.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)
