"""Passwords: Argon2id hashing with parameters from the configuration, and the rules a new
password must meet."""

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

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


# The password rules (NCSC guidance, NIST SP 800-63B): long enough, not one of the commonly
# used or easily guessed ones, not made of the person's own name or email, and no
# composition rules. Every path that sets a password asks `password_problem`.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# zxcvbn's score runs 0 to 4; 3 and above resist an offline attack on a slow hash.
LEAST_SCORE = 3
# zxcvbn's time grows with length; past this many characters a password is long enough.
_SCORED_LENGTH = 64


def _personal_words(email: str, name: str) -> list[str]:
    """What an attacker knows about the person: their email, its parts and their name."""
    local, _, domain = email.lower().partition("@")
    pieces = [email.lower(), local, *re.split(r"[._+\-]", local), *domain.split(".")]
    pieces += name.lower().split()
    pieces.append(current_app.config["PARTNERSHIP_NAME"].lower())
    pieces += current_app.config["PARTNERSHIP_NAME"].lower().split()
    return [piece for piece in pieces if len(piece) >= 3]


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password may not be used by this person, in words for a form; None if it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    personal = _personal_words(email, name)
    lowered = password.lower()
    if email and email.lower() in lowered:
        return "Password must not contain the email address of the account"
    # What is left once the person's own words, spaces, digits and punctuation are taken out.
    rest = lowered
    for word in sorted(personal, key=len, reverse=True):
        rest = rest.replace(word, "")
    if len(re.sub(r"[\W\d_]+", "", rest)) < 6:
        return (
            "Password must not be made of the name or email address of the account, "
            "or the name of the partnership"
        )
    result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=personal)
    if result["score"] < LEAST_SCORE:
        return (
            "Password is too easy to guess. Try three or four unrelated words; "
            "avoid common passwords and your own name or email"
        )
    return None
