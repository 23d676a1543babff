"""Differential conformance: send the same requests to the local server and to a real CVAT.

:class:`Kind` describes one request kind (method, path, content type, body
shape); ``catalogue.KINDS`` lists every kind labelloop's CVAT backend and the
test annotator send, plus the malformed variants a client might send. Each
side gets the same fixtures through the API (:func:`build_world`); ids differ
between the servers, so requests name them symbolically (``{task}`` in paths,
:class:`Ref` in bodies) and each side resolves them from its own map.

Answers are compared by status code, by error shape (a DRF field dict's keys,
``{"detail"}``, a list; never the message text) and by response schema (keys
and value types, recursively; ids, dates and urls differ legitimately and only
their types are compared).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

_UNSET: Any = object()


@dataclass(frozen=True)
class Ref:
    """A fixture id (or value) named in a request body, resolved per server."""

    name: str


@dataclass(frozen=True)
class Kind:
    """One request kind: what is sent, and which answer values to remember."""

    name: str
    method: str
    path: str  # str.format template over the side's ids: "/api/tasks/{task}"
    json: Any = _UNSET
    data: dict[str, Any] | None = None  # form fields (urlencoded, or multipart with files)
    files: tuple[str, ...] = ()  # media names sent as client_files[i]
    content: bytes | str | None = None  # raw body (a str names a media file)
    headers: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    auth: str = "session"  # session | session-nocsrf | fresh-session | basic | none | bad
    capture: dict[str, str] = field(default_factory=dict)  # id name -> "body.path" / "header:X"
    wait: str | None = None  # after the request: wait for this captured request id
    ignore: tuple[str, ...] = ()  # schema paths that differ by design (documented)


@dataclass
class Answer:
    status: int
    kind: str  # "json", "empty" or the media type of a binary answer
    shape: Any  # schema of a JSON answer
    sample: str = ""  # the start of an error body, to debug a mismatch

    def describe(self) -> str:
        sample = f" {self.sample!r}" if self.sample else ""
        return f"{self.status} {self.kind} {_short(self.shape)}{sample}"


@dataclass
class Side:
    """One server under test: its clients and its fixture ids."""

    name: str
    url: str
    username: str
    password: str = field(repr=False)
    media: dict[str, Path]
    ids: dict[str, Any] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # paths to DELETE at the end
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, auth: str = "session") -> httpx.Client:
        """A client per way of authenticating; the default is a logged-in session, as
        labelloop's client uses (HTTP Basic costs a password hash per request on CVAT).

        ``fresh-session`` logs in as the world's throwaway user: a logout deletes the
        user's one REST token on CVAT, and the superuser's must outlive the run.
        """
        if auth == "fresh-session":
            client, self.ids["leaver_token"] = self._login(
                self.ids["leaver"], self.ids["leaver_password"]
            )
            return client
        if auth not in self._clients:
            if auth in ("session", "session-nocsrf"):
                client = self._session_client(csrf=auth == "session")
            else:
                client = httpx.Client(base_url=self.url, timeout=120)
                if auth == "basic":
                    client.auth = (self.username, self.password)
                elif auth == "bad":
                    client.headers["Authorization"] = "Token 0000bad0000token0000"
            self._clients[auth] = client
        return self._clients[auth]

    def _session_client(self, csrf: bool = True) -> httpx.Client:
        return self._login(self.username, self.password, csrf)[0]

    def _login(self, username: str, password: str, csrf: bool = True) -> tuple[httpx.Client, str]:
        """A client logged in as ``username``, and the REST token the login answered."""
        client = httpx.Client(base_url=self.url, timeout=120)
        answer = client.post("/api/auth/login", json={"username": username, "password": password})
        answer.raise_for_status()
        if csrf:
            client.headers["X-CSRFToken"] = client.cookies.get("csrftoken", "")
        return client, answer.json()["key"]

    def api(self, method: str, path: str, expect: int | tuple[int, ...], **kwargs: Any) -> Any:
        """A setup call: fails loudly if the server refuses it; returns the JSON answer."""
        response = self.client().request(method, path, **kwargs)
        expected = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in expected:
            raise AssertionError(
                f"{self.name}: setup {method} {path} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        if response.status_code == 201 and method == "POST":
            self.track(path, response)
        return response.json() if response.content else None

    def track(self, path: str, response: httpx.Response) -> None:
        """Remember a created project, task or token so :meth:`cleanup` deletes it."""
        try:
            body = response.json()
        except ValueError:
            return
        base = urlsplit(path).path.rstrip("/")
        if isinstance(body, dict) and "id" in body and base in _DELETABLE:
            self.created.append(f"{base}/{body['id']}")

    def wait_request(self, rq_id: str, timeout: float = 180, check: bool = True) -> dict[str, Any]:
        """Poll a background request until it ends; ``check``: a failure is an error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.api("GET", f"/api/requests/{rq_id}", 200)
            if body["status"] in ("finished", "failed"):
                if check and body["status"] == "failed":
                    raise AssertionError(f"{self.name}: request {rq_id} failed: {body}")
                return body
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: request {rq_id} did not finish in {timeout} s")

    def cleanup(self) -> list[str]:
        """Delete everything this run created, newest first; returns what could not be."""
        left = []
        for path in reversed(self.created):
            status = self.client().delete(path).status_code
            if status not in (204, 404):
                left.append(f"{path}: {status}")
        self.created.clear()
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        return left


_DELETABLE = {"/api/projects", "/api/tasks", "/api/auth/access_tokens", "/api/organizations"}


# ---------------------------------------------------------------- sending
class Unresolved(Exception):
    """A kind names an id an earlier kind should have captured but did not."""


def resolve(value: Any, ids: dict[str, Any]) -> Any:
    """``value`` with every :class:`Ref` replaced by the side's id and strings formatted."""
    try:
        return _resolve(value, ids)
    except KeyError as exc:
        raise Unresolved(f"no {exc.args[0]!r} (an earlier kind did not create it)") from None


def _resolve(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return ids[value.name]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve(v, ids) for v in value]
    if isinstance(value, str) and "{" in value:
        return value.format_map(ids)
    return value


def send(side: Side, kind: Kind) -> Answer:
    """Send one kind to one side; capture the ids it names; return the answer to compare."""
    try:
        return _send(side, kind)
    except Unresolved as exc:
        return Answer(0, f"not sent: {exc}", None)


def _send(side: Side, kind: Kind) -> Answer:
    ids = {**side.ids, "password": side.password}
    kwargs: dict[str, Any] = {
        "params": resolve(kind.params, ids),
        "headers": {k: str(v) for k, v in resolve(kind.headers, ids).items()},
    }
    if kind.json is not _UNSET:
        kwargs["json"] = resolve(kind.json, ids)
    if kind.data is not None:
        kwargs["data"] = {
            k: json.dumps(v) if isinstance(v, (list, dict)) else v
            for k, v in resolve(kind.data, ids).items()
        }
    if kind.files:
        kwargs["files"] = [
            (f"client_files[{i}]", (side.media[name].name, side.media[name].read_bytes()))
            for i, name in enumerate(kind.files)
        ]
    if kind.content is not None:
        content = kind.content
        kwargs["content"] = (
            side.media[content].read_bytes() if isinstance(content, str) else content
        )
    client = side.client(kind.auth)
    if kind.auth in ("none", "bad"):
        client.cookies.clear()  # an anonymous caller: a login's session is not kept
    path = resolve(kind.path, ids)
    response = client.request(kind.method, path, **kwargs)
    if kind.auth == "fresh-session":
        client.close()
    if response.status_code == 201 and kind.method == "POST":
        side.track(path, response)
    if response.status_code < 400:
        for name, where in kind.capture.items():
            side.ids[name] = _pick(response, where)
        if kind.wait:
            side.wait_request(side.ids[kind.wait], check=False)  # a later kind reads it
    return answer_of(response)


def _pick(response: httpx.Response, where: str) -> Any:
    if where.startswith("header:"):
        value = response.headers[where.split(":", 1)[1]]
        return urlsplit(value).path if value.startswith("http") else value
    value: Any = response.json()
    for part in where.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


# ---------------------------------------------------------------- comparing
def answer_of(response: httpx.Response) -> Answer:
    answer = _answer_of(response)
    if response.status_code >= 400:
        answer.sample = response.text[:160]
    return answer


def _answer_of(response: httpx.Response) -> Answer:
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if not response.content:
        return Answer(response.status_code, "empty", None)
    if "json" in media:
        try:
            body = response.json()
        except ValueError:
            return Answer(response.status_code, "invalid json", None)
        if response.status_code >= 400:
            return Answer(response.status_code, "json", error_shape(body))
        return Answer(response.status_code, "json", schema(body))
    if response.status_code >= 400:
        # an error page (HTML or text): its shape is "not JSON"
        return Answer(response.status_code, "text", None)
    return Answer(response.status_code, media, None)


def error_shape(body: Any) -> Any:
    """An error body by its structure only: the keys of a dict, or "list"."""
    if isinstance(body, dict):
        return {"error keys": sorted(body)}
    if isinstance(body, list):
        return "list"
    return type(body).__name__


def schema(value: Any) -> Any:
    """Keys and value types of a JSON value, recursively; list items merged into one schema."""
    if isinstance(value, dict):
        return {k: schema(v) for k, v in value.items()}
    if isinstance(value, list):
        item: Any = _EMPTY
        for element in value:
            item = _merge(item, schema(element))
        return [item]
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "str"


_EMPTY = "<empty>"


def _merge(a: Any, b: Any) -> Any:
    if a == _EMPTY or a is None:
        return b
    if b == _EMPTY or b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k, _EMPTY), b.get(k, _EMPTY)) for k in a.keys() | b.keys()}
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0], b[0])]
    if a == b:
        return a
    return f"{_label(a)}|{_label(b)}"


def _label(value: Any) -> str:
    return (
        "object" if isinstance(value, dict) else "list" if isinstance(value, list) else str(value)
    )


def differences(local: Any, real: Any, path: str = "", ignore: tuple[str, ...] = ()) -> list[str]:
    """Where two schemas disagree; ``None`` (null) and empty lists match anything."""
    if path in ignore:
        return []
    if local is None or real is None or local == _EMPTY or real == _EMPTY:
        return []
    if isinstance(local, dict) and isinstance(real, dict):
        out = []
        only_local = sorted(local.keys() - real.keys())
        only_real = sorted(real.keys() - local.keys())
        only_local = [k for k in only_local if f"{path}.{k}" not in ignore]
        only_real = [k for k in only_real if f"{path}.{k}" not in ignore]
        if only_local:
            out.append(f"{path or '.'}: keys only local {only_local}")
        if only_real:
            out.append(f"{path or '.'}: keys only real {only_real}")
        for key in sorted(local.keys() & real.keys()):
            out += differences(local[key], real[key], f"{path}.{key}", ignore)
        return out
    if isinstance(local, list) and isinstance(real, list):
        return differences(local[0], real[0], f"{path}[]", ignore)
    if local != real:
        return [f"{path or '.'}: local {_label(local)}, real {_label(real)}"]
    return []


def compare(kind: Kind, local: Answer, real: Answer) -> list[str]:
    """Every way the local answer differs from the real one (empty: they agree)."""
    if not local.status or not real.status:
        return [f"not sent: local {local.kind!r}, real {real.kind!r}"]
    if local.status != real.status:
        return [f"status: local {local.status}, real {real.status}"]
    if local.kind != real.kind:
        return [f"body: local {local.kind}, real {real.kind}"]
    return differences(local.shape, real.shape, ignore=kind.ignore)


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, sort_keys=True) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- running
@dataclass
class Outcome:
    kind: Kind
    local: Answer
    real: Answer
    problems: list[str]


def run_all(
    kinds: list[Kind], local: Side, real: Side, log: Callable[[str], None] = print
) -> list[Outcome]:
    """Send every kind to both sides, in order (later kinds may use ids captured earlier)."""
    outcomes = []
    for kind in kinds:
        local_answer = send(local, kind)
        real_answer = send(real, kind)
        problems = compare(kind, local_answer, real_answer)
        outcomes.append(Outcome(kind, local_answer, real_answer, problems))
        if problems:
            log(f"MISMATCH {kind.name}: {'; '.join(problems)}")
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    """The summary line and a table of mismatches."""
    bad = [o for o in outcomes if o.problems]
    lines = [f"differential: {len(outcomes)} request kinds compared, {len(bad)} mismatches"]
    if bad:
        lines.append(f"{'kind':40} {'request':45} {'local':>5} {'real':>5}  difference")
        for o in bad:
            request = f"{o.kind.method} {o.kind.path}"[:45]
            lines.append(
                f"{o.kind.name:40} {request:45} {o.local.status:>5} {o.real.status:>5}  "
                + "; ".join(o.problems)
            )
            lines.append(f"{'':40}   local: {o.local.describe()}")
            lines.append(f"{'':40}   real:  {o.real.describe()}")
    return "\n".join(lines)
