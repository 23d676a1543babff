"""Database URIs safe to show: passwords never reach logs, reprs or error messages."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

_SECRET_PARAMS = {"password", "passfile", "sslpassword", "sslkey"}


def redact_uri(uri: str) -> str:
    """``uri`` with any password (in ``user:pass@`` or a query parameter) replaced by ``***``."""
    try:
        parts = urlsplit(uri)
    except ValueError:  # not parseable: hide everything between :// and @
        return re.sub(r"(?<=://)[^/]*@", "***@", uri)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*"
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return uri  # nothing secret: unchanged (urlunsplit would rewrite sqlite:////abs paths)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, uri: str) -> str:
    """``text`` with the password of ``uri`` (if any) masked wherever it occurs."""
    for secret in _secrets(uri):
        text = text.replace(secret, "***")
    return text


def _secrets(uri: str) -> list[str]:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return []
    found = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    for key, value in parse_qsl(parts.query):
        if key.lower() in _SECRET_PARAMS and value:
            found.append(value)
    return sorted({s for s in found if s}, key=len, reverse=True)
