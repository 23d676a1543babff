"""``POST /api/auth/register`` validated as CVAT 2.73 does (dj-rest-auth, allauth, Django).

The checks and their order, as observed on CVAT 2.73: first every field on its
own (one ``{"field": [messages]}`` dict for all of them: required, blank, type,
lengths, the username's characters and uniqueness, the email's form, the
password validators), then the two passwords' match (``non_field_errors``),
then, while saving, a taken email (a bare list) and a password too similar to
the username, names or email (``non_field_errors``). Names and email are
optional. Usernames and emails are unique regardless of case.

Django's common-password list has 20,000 entries; this double refuses a short
list of the most common ones (enough for a client's tests to see the refusal).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from labelloop.testing.cvat_server.store import Store
from labelloop.testing.cvat_server.web import ApiError

USERNAME_MIN, USERNAME_MAX, NAME_MAX, EMAIL_MAX = 5, 150, 150, 254
PASSWORD_MIN, PASSWORD_MAX = 8, 256
_USERNAME = re.compile(r"^[\w.@+-]+\Z")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
_MAX_SIMILARITY = 0.7
#: user attribute -> Django's verbose name, in the order Django compares them
_SIMILAR_TO = {
    "username": "username",
    "first_name": "first name",
    "last_name": "last name",
    "email": "email address",
}
COMMON_PASSWORDS = frozenset(
    """password password1 password12 password123 password1234 passw0rd p@ssw0rd 12345678
    123456789 1234567890 87654321 11111111 00000000 12341234 qwertyuiop qwerty123 qwerty12
    1q2w3e4r 1qaz2wsx iloveyou sunshine princess football baseball welcome1 welcome123
    letmein1 trustno1 superman batman123 starwars dragon123 monkey123 abc12345 abcd1234
    asdfghjkl zxcvbnm1 computer internet whatever michelle jennifer jordan23 charlie1
    admin123 administrator changeme secret123 master123 access14 mustang1 shadow12
    football1 baseball1 iloveyou1 sunshine1 princess1 12qwaszx q1w2e3r4 aa123456
    """.split()
)


def _text(data: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool,
          min_length: int = 0, max_length: int) -> str | None:  # fmt: skip
    """A DRF ``CharField``: required/blank/type/length messages into ``errors``."""
    if name not in data:
        if required:
            errors[name] = ["This field is required."]
        return None
    value = data[name]
    if value is None:
        errors[name] = ["This field may not be null."]
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors[name] = ["Not a valid string."]
        return None
    value = str(value)
    if not name.startswith("password"):  # DRF trims every field but the passwords
        value = value.strip()
    if not value:
        errors[name] = ["This field may not be blank."]
    elif len(value) > max_length:
        errors[name] = [f"Ensure this field has no more than {max_length} characters."]
    elif len(value) < min_length:
        errors[name] = [f"Ensure this field has at least {min_length} characters."]
    return None if name in errors else value


def _password_problems(password: str) -> list[str]:
    """Django's validators that need no user: common, numeric (length is the field's)."""
    problems = []
    if password.lower().strip() in COMMON_PASSWORDS:
        problems.append("This password is too common.")
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    return problems


def _too_similar(password: str, user: dict[str, str]) -> str | None:
    """Django's ``UserAttributeSimilarityValidator``: the attribute the password resembles."""
    password = password.lower()
    for attribute, verbose in _SIMILAR_TO.items():
        value = (user.get(attribute) or "").lower()
        if not value:
            continue
        for part in [*re.split(r"\W+", value), value]:
            if not part:
                continue
            # a part much shorter than the password cannot reach the ratio
            if len(password) >= 10 * len(part) and len(part) < _MAX_SIMILARITY / 2 * len(password):
                continue
            if SequenceMatcher(a=password, b=part).quick_ratio() >= _MAX_SIMILARITY:
                return verbose
    return None


def validate(store: Store, data: dict[str, Any]) -> dict[str, str]:
    """The new user's fields, or the :class:`ApiError` CVAT answers."""
    errors: dict[str, list[str]] = {}
    username = _text(data, "username", errors, required=True, min_length=USERNAME_MIN,
                     max_length=USERNAME_MAX)  # fmt: skip
    if username is not None:
        if not _USERNAME.match(username):
            errors["username"] = [
                "Enter a valid username. This value may contain only letters, numbers, and "
                "@/./+/-/_ characters."
            ]
        elif store.one("SELECT id FROM users WHERE lower(username) = ?", (username.lower(),)):
            errors["username"] = ["A user with that username already exists."]
    email = _text(data, "email", errors, required=False, max_length=EMAIL_MAX)
    if email is not None and not _EMAIL.match(email):
        errors["email"] = ["Enter a valid email address."]
    passwords = [
        _text(
            data, name, errors, required=True, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX
        )  # fmt: skip
        for name in ("password1", "password2")
    ]
    if passwords[0] is not None and _password_problems(passwords[0]):
        errors["password1"] = _password_problems(passwords[0])
    names = {
        name: _text(data, name, errors, required=False, max_length=NAME_MAX) or ""
        for name in ("first_name", "last_name")
    }
    if errors:
        raise ApiError(400, errors)
    if passwords[0] != passwords[1]:
        raise ApiError(400, {"non_field_errors": ["The two password fields didn't match."]})
    user = {"username": username or "", "email": email or "", **names}
    if user["email"] and store.one(
        "SELECT id FROM users WHERE lower(email) = ?", (user["email"].lower(),)
    ):
        raise ApiError(400, ["A user is already registered with this e-mail address."])
    similar = _too_similar(passwords[0] or "", user)
    if similar is not None:
        raise ApiError(
            400, {"non_field_errors": [f"The password is too similar to the {similar}."]}
        )
    return {**user, "password": passwords[0] or ""}
