"""Who is calling: passwords, sessions with CSRF, tokens, Basic auth, access tokens.

The order and the answers follow CVAT (Django REST framework): an
``Authorization: Token`` header is checked first, then ``Bearer`` personal
access tokens, then the session cookie (whose unsafe requests need an
``X-CSRFToken`` header matching the ``csrftoken`` cookie and, if an
``Origin`` header is sent, the server's own origin), then HTTP Basic.
Bad credentials give 401; a missing CSRF token gives 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import Request

from labelloop.testing.cvat_server.store import Store, now
from labelloop.testing.cvat_server.web import ApiError, User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
GROUPS = ("admin", "user", "worker", "business")
_ITERATIONS = 2000  # a test server: enough to not store plain text, cheap to check


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_user(
    store: Store,
    username: str,
    password: str,
    *,
    group: str = "user",
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> int:
    """Insert a user; raises a field error if the name is taken or the group unknown."""
    if not username:
        raise ApiError(400, {"username": ["This field may not be blank."]})
    if group not in GROUPS:
        raise ApiError(400, {"group": [f'"{group}" is not a valid choice.']})
    if store.one("SELECT id FROM users WHERE username = ?", (username,)):
        raise ApiError(400, {"username": ["A user with that username already exists."]})
    return store.insert(
        "users",
        {
            "username": username,
            "password_hash": hash_password(password),
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "grp": group,
            "date_joined": now(),
        },
    )


def user_by_credentials(store: Store, username: str, password: str) -> User | None:
    row = store.one(
        "SELECT * FROM users WHERE (username = ? OR (email != '' AND email = ?)) AND is_active",
        (username, username),
    )
    if row is None or not check_password(password, row["password_hash"]):
        return None
    return User(row["id"], row["username"], row["grp"])


def user_by_id(store: Store, user_id: int) -> User | None:
    row = store.one("SELECT id, username, grp FROM users WHERE id = ? AND is_active", (user_id,))
    return None if row is None else User(row["id"], row["username"], row["grp"])


def login_token(store: Store, user_id: int) -> str:
    """The user's REST token (one per user, created on first login, as DRF does)."""
    key = store.scalar("SELECT key FROM tokens WHERE user_id = ?", (user_id,))
    if key is None:
        key = secrets.token_hex(20)
        store.insert("tokens", {"key": key, "user_id": user_id})
    return key


def new_session(store: Store, user_id: int) -> tuple[str, str]:
    session, csrf = secrets.token_hex(16), secrets.token_hex(16)
    store.insert("sessions", {"key": session, "user_id": user_id, "csrf": csrf})
    return session, csrf


def authenticate(request: Request, store: Store) -> tuple[User | None, str]:
    """Identify the caller; returns ``(user or None, method)``.

    Raises 401 for presented-but-bad credentials and 403 for a session write
    without a matching CSRF token, before any handler runs.
    """
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "token":
        row = store.one("SELECT user_id FROM tokens WHERE key = ?", (value,))
        user = user_by_id(store, row["user_id"]) if row else None
        if user is None:
            raise ApiError(401, "Invalid token.")
        return user, "token"
    if scheme == "bearer":
        row = store.one(
            "SELECT id, user_id, read_only, expiry_date FROM access_tokens WHERE digest = ?",
            (token_digest(value),),
        )
        user = user_by_id(store, row["user_id"]) if row else None
        if user is None or (row["expiry_date"] and row["expiry_date"] < now()):
            raise ApiError(401, "Invalid token.")
        if row["read_only"] and request.method not in SAFE_METHODS:
            raise ApiError(403, "This access token is read-only.")
        store.update("access_tokens", row["id"], {"last_used_date": now()})
        return user, "access_token"
    session = request.cookies.get("sessionid")
    if session:
        row = store.one("SELECT user_id, csrf FROM sessions WHERE key = ?", (session,))
        user = user_by_id(store, row["user_id"]) if row else None
        if user is not None:
            if request.method not in SAFE_METHODS:
                origin = request.headers.get("origin")
                own = f"{request.url.scheme}://{request.headers.get('host', '')}"
                if origin is not None and origin != own:
                    raise ApiError(
                        403,
                        f"CSRF Failed: Origin checking failed - {origin} does not match any "
                        "trusted origins.",
                    )
                sent = request.headers.get("x-csrftoken")
                if not sent:
                    raise ApiError(403, "CSRF Failed: CSRF token missing.")
                if not hmac.compare_digest(sent, row["csrf"]):
                    raise ApiError(
                        403, "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."
                    )
            return user, "session"
    if scheme == "basic":
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                401, "Invalid basic header. Credentials not correctly base64 encoded."
            ) from None
        user = user_by_credentials(store, username, password)
        if user is None:
            raise ApiError(401, "Invalid username/password.")
        return user, "basic"
    return None, "anonymous"
