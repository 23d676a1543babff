"""The HTTP client against a scripted server: retries, errors, secrets, versions."""

from __future__ import annotations

import logging

import pytest

from labelloop.cvat.client import CVATClient, RetryPolicy, parse_retry_after
from labelloop.cvat.errors import (
    CVATAuthError,
    CVATConnectionError,
    CVATNotFound,
    CVATServerError,
    CVATUnsupportedVersion,
)

FAST = RetryPolicy(max_attempts=4, backoff=0.001, max_delay=0.01, max_total=5)


def count(server, method, path):
    return sum(1 for m, p, _ in server.seen if m == method and p == path)


def test_get_is_retried_on_503_then_succeeds(flaky):
    flaky.add("/api/tasks/1", 503, {"detail": "busy"})
    flaky.add("/api/tasks/1", 502)
    flaky.add("/api/tasks/1", 200, {"id": 1, "name": "t"})
    with CVATClient(flaky.url, retry=FAST) as client:
        assert client.get_json("/api/tasks/1") == {"id": 1, "name": "t"}
    assert count(flaky, "GET", "/api/tasks/1") == 3


def test_retry_after_is_honoured_on_429(flaky):
    flaky.add("/api/jobs/2", 429, {"detail": "slow down"}, {"Retry-After": "0"})
    flaky.add("/api/jobs/2", 200, {"id": 2})
    with CVATClient(flaky.url, retry=FAST) as client:
        assert client.get_json("/api/jobs/2")["id"] == 2
    assert count(flaky, "GET", "/api/jobs/2") == 2


def test_non_idempotent_post_is_not_retried(flaky):
    flaky.add("/api/tasks", 503, {"detail": "overloaded"})
    with CVATClient(flaky.url, retry=FAST) as client:
        with pytest.raises(CVATServerError) as info:
            client.post("/api/tasks", json={"name": "x"})
    assert count(flaky, "POST", "/api/tasks") == 1
    assert info.value.status == 503 and "overloaded" in str(info.value)


def test_attempts_are_bounded(flaky):
    flaky.add("/api/tasks/3", 504)
    with CVATClient(flaky.url, retry=FAST) as client:
        with pytest.raises(CVATServerError):
            client.get("/api/tasks/3")
    assert count(flaky, "GET", "/api/tasks/3") == FAST.max_attempts


def test_typed_errors_name_the_request(flaky):
    with CVATClient(flaky.url, retry=FAST) as client:
        with pytest.raises(CVATNotFound) as info:
            client.get("/api/tasks/99")
    assert info.value.status == 404 and "/api/tasks/99" in str(info.value)


def test_failed_login_raises_auth_error_without_the_password(flaky):
    flaky.add("/api/auth/login", 400, {"non_field_errors": ["Unable to log in."]})
    with pytest.raises(CVATAuthError) as info:
        CVATClient(flaky.url, username="alice", password="s3cr3t-pw", retry=FAST)
    assert "s3cr3t-pw" not in str(info.value) and "alice" in str(info.value)


def test_password_echoed_by_server_is_redacted(flaky):
    flaky.add("/api/auth/login", 200, {"key": "k"})
    flaky.add("/api/projects/5", 403, {"detail": "user alice with s3cr3t-pw may not"})
    client = CVATClient(flaky.url, username="alice", password="s3cr3t-pw", retry=FAST)
    with client, pytest.raises(CVATAuthError) as info:
        client.get("/api/projects/5")
    assert "s3cr3t-pw" not in str(info.value) and "***" in str(info.value)
    assert "s3cr3t-pw" not in repr(client)


def test_session_login_sends_csrf_and_organization(flaky):
    flaky.add(
        "/api/auth/login",
        200,
        {"key": "abc"},
        {"Set-Cookie": "csrftoken=tok123; Path=/"},
    )
    flaky.add("/api/tasks/1", 200, {"id": 1})
    with CVATClient(
        flaky.url, username="a", password="p", organization="acme", headers={"X-Extra": "1"}
    ) as client:
        client.get("/api/tasks/1")
    headers = [h for m, p, h in flaky.seen if p == "/api/tasks/1"][0]
    assert headers["x-csrftoken"] == "tok123"
    assert headers["x-organization"] == "acme"
    assert headers["x-extra"] == "1"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"token": "tkn"}, "Token tkn"), ({"access_token": "pat"}, "Bearer pat")],
)
def test_token_auth_headers(flaky, kwargs, expected):
    flaky.add("/api/users/self", 200, {"username": "bob"})
    with CVATClient(flaky.url, **kwargs) as client:
        client.get("/api/users/self")
        assert "tkn" not in repr(client) and "pat" not in repr(client)
    headers = [h for m, p, h in flaky.seen if p == "/api/users/self"][0]
    assert headers["authorization"] == expected


def test_old_servers_are_refused(flaky):
    flaky.script["/api/server/about"] = [(200, {}, {"version": "1.7.0"})]
    with pytest.raises(CVATUnsupportedVersion, match="2.0"):
        CVATClient(flaky.url)


def test_v1_server_without_v2_login_is_refused(flaky):
    with pytest.raises(CVATUnsupportedVersion, match="older than 2.0"):
        CVATClient(flaky.url, username="a", password="p")


def test_pagination_follows_next_links(flaky):
    page2 = "http://elsewhere.invalid/api/users?page=2&search=x"
    flaky.add(
        "/api/users",
        200,
        lambda r: (
            {"results": [{"id": 3}], "next": None}
            if r.query_params.get("page") == "2"
            else {"results": [{"id": 1}, {"id": 2}], "next": page2}
        ),
    )
    with CVATClient(flaky.url) as client:
        assert [u["id"] for u in client.paginate("/api/users", {"search": "x"})] == [1, 2, 3]


def test_connection_errors_are_retried_then_reported():
    policy = RetryPolicy(max_attempts=3, backoff=0.001, max_delay=0.001, max_total=5)
    with pytest.raises(CVATConnectionError, match="cannot reach"):
        CVATClient("http://127.0.0.1:9", retry=policy)


def test_insecure_tls_logs_a_warning(flaky, caplog):
    with caplog.at_level(logging.WARNING, logger="labelloop.cvat.client"):
        CVATClient(flaky.url, verify=False).close()
    assert "verification is OFF" in caplog.text


@pytest.mark.parametrize(("value", "expected"), [("3", 3.0), ("0", 0.0), (None, None), ("x", None)])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_bad_arguments_are_refused_before_any_request():
    with pytest.raises(ValueError, match="url"):
        CVATClient("ftp://host")
    with pytest.raises(ValueError, match="timeout"):
        CVATClient("http://127.0.0.1:9", timeout=0)


def test_ca_bundle_path_is_accepted_and_a_missing_one_refused(flaky):
    import certifi

    CVATClient(flaky.url, verify=certifi.where()).close()
    with pytest.raises(ValueError, match="CA bundle"):
        CVATClient(flaky.url, verify="/nonexistent/ca.pem")


def test_expired_session_is_renewed_once(flaky):
    flaky.add("/api/auth/login", 200, {"key": "k"}, {"Set-Cookie": "csrftoken=t1; Path=/"})
    flaky.add("/api/tasks/7", 401, {"detail": "Authentication credentials were not provided."})
    flaky.add("/api/tasks/7", 200, {"id": 7})
    with CVATClient(flaky.url, username="a", password="p", retry=FAST) as client:
        assert client.get_json("/api/tasks/7") == {"id": 7}
        flaky.script["/api/tasks/8"] = [(401, {}, {"detail": "no"})]
        with pytest.raises(CVATAuthError):
            client.get("/api/tasks/8")  # still refused after one renewal: reported
    assert count(flaky, "POST", "/api/auth/login") == 3
