"""Fault injection and the request-body limit, as an ASGI middleware.

Rules are set through the admin-only ``/_test/faults`` endpoint (or the
``--faults`` startup option) and match requests by method and a path regex.
A rule fires on its ``nth`` match (1-based) and the ``times - 1`` matches
after it (``times`` omitted: only the nth; neither given: every match), and
can answer with a status and body, answer 429 with ``Retry-After``, delay
the request, or drop the connection in the middle of the response body.
``fail_processing`` rules instead make task data processing fail, and
``slow_processing`` rules make it take ``delay`` seconds longer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

ACTIONS = ("status", "throttle", "delay", "drop", "fail_processing", "slow_processing")
_PROCESSING_ACTIONS = ("fail_processing", "slow_processing")


class FaultError(ValueError):
    """A malformed fault rule."""


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


class DroppedConnection(Exception):
    """Raised on purpose to make the server close a connection mid-response."""


@dataclass
class Rule:
    id: int
    action: str
    method: str = "*"
    path: str = ".*"
    nth: int | None = None
    times: int | None = None
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    retry_after: int = 1
    message: str = "Injected processing failure"
    task_id: int | None = None
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        try:
            self._regex = re.compile(self.path)
        except re.error as exc:
            raise FaultError(f"path: invalid regular expression ({exc})") from exc

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method.upper() == method) and bool(
            self._regex.search(path)
        )

    def should_fire(self) -> bool:
        """Count one match; True when this match is one the rule fails."""
        self.matched += 1
        if self.nth is None and self.times is None:
            hit = True
        else:
            first = self.nth or 1
            span = self.times if self.times is not None else (1 if self.nth else None)
            hit = self.matched >= first and (span is None or self.matched < first + span)
        if hit:
            self.fired += 1
        return hit

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return out


def parse_rule(raw: Any, rule_id: int) -> Rule:
    if not isinstance(raw, dict):
        raise FaultError("each fault must be a JSON object")
    known = set(Rule.__dataclass_fields__) - {"id", "matched", "fired"}
    unknown = set(raw) - known
    if unknown:
        raise FaultError(f"unknown fault keys: {sorted(unknown)}; allowed: {sorted(known)}")
    action = raw.get("action", "status")
    if action not in ACTIONS:
        raise FaultError(f"action: must be one of {ACTIONS}, got {action!r}")
    for key in ("nth", "times"):
        if raw.get(key) is not None and (not isinstance(raw[key], int) or raw[key] < 1):
            raise FaultError(f"{key}: must be a positive integer")
    return Rule(id=rule_id, **{**raw, "action": action})


class Faults:
    """The active rules and the body limit; shared by the middleware and workers."""

    def __init__(self, max_body_size: int | None = None) -> None:
        self.rules: list[Rule] = []
        self.max_body_size = max_body_size
        self._next = 1
        self._lock = threading.Lock()

    def add(self, raw: Any) -> list[Rule]:
        items = raw if isinstance(raw, list) else [raw]
        with self._lock:
            rules = []
            for item in items:
                rules.append(parse_rule(item, self._next))
                self._next += 1
            self.rules.extend(rules)
        return rules

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self.rules)
            self.rules = [rule for rule in self.rules if rule.id != rule_id]
            return len(self.rules) != before

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def match(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.action not in _PROCESSING_ACTIONS and rule.matches(method, path):
                    if rule.should_fire():
                        return rule
        return None

    def processing_failure(self, task_id: int) -> str | None:
        with self._lock:
            for rule in self.rules:
                if rule.action == "fail_processing" and rule.task_id in (None, task_id):
                    if rule.should_fire():
                        return rule.message
        return None

    def processing_delay(self, task_id: int) -> float:
        """Seconds the processing of ``task_id``'s data is held up by ``slow_processing``."""
        with self._lock:
            for rule in self.rules:
                if rule.action == "slow_processing" and rule.task_id in (None, task_id):
                    if rule.should_fire():
                        return float(rule.delay)
        return 0.0


async def _send_json(send: Any, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
    data = payload.encode() if isinstance(payload, str) else payload
    raw_headers = [
        (b"content-type", b"application/vnd.cvat+json"),
        (b"content-length", str(len(data)).encode()),
    ] + [(k.lower().encode(), str(v).encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})


class FaultMiddleware:
    """Applies :class:`Faults` to every request outside ``/_test``."""

    def __init__(self, app: Any, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_test"):
            await self.app(scope, receive, send)
            return
        limit = self.faults.max_body_size
        if limit is not None:
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and int(length) > limit:
                await _send_json(
                    send, 413, {"detail": f"Request body is larger than {limit} bytes."}, {}
                )
                return
            receive = _limited(receive, limit)
        rule = self.faults.match(scope["method"], scope["path"])
        if rule is None:
            await self._run(scope, receive, send, limit)
            return
        logger.info("fault %s fires on %s %s", rule.id, scope["method"], scope["path"])
        if rule.action == "status":
            body = rule.body if rule.body is not None else {"detail": "Injected failure"}
            await _send_json(send, rule.status, body, rule.headers)
        elif rule.action == "throttle":
            body = {
                "detail": f"Request was throttled. Expected available in {rule.retry_after} seconds."
            }
            await _send_json(send, 429, body, {"Retry-After": str(rule.retry_after)})
        elif rule.action == "delay":
            await asyncio.sleep(rule.delay)
            await self._run(scope, receive, send, limit)
        else:  # drop
            await self.app(scope, receive, _dropping(send))

    async def _run(self, scope: dict[str, Any], receive: Any, send: Any, limit: int | None) -> None:
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_json(
                send, 413, {"detail": f"Request body is larger than {limit} bytes."}, {}
            )


def _limited(receive: Any, limit: int) -> Any:
    seen = 0

    async def wrapped() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge()
        return message

    return wrapped


def _dropping(send: Any) -> Any:
    """Send the status line and half the body, then break the connection."""
    declared = 0

    async def wrapped(message: dict[str, Any]) -> None:
        nonlocal declared
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            declared = int(headers.get(b"content-length", b"0") or 0)
            await send(message)
            return
        body = message.get("body", b"")
        cut = max(len(body) // 2, 0)
        if declared and cut >= declared:
            cut = declared - 1
        await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
        raise DroppedConnection("connection dropped by an injected fault")

    return wrapped
