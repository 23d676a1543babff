"""Authentication and users, as CVAT answers them."""

from __future__ import annotations

import httpx

from tests.cvat_server.helpers import admin_client, user_client
from tests.cvat_server.schema import checked_client


def test_about_is_public_and_reports_version(cvat_server):
    with checked_client(cvat_server.url) as client:
        response = client.get("/api/server/about")
    assert response.status_code == 200
    assert response.json()["version"] == "2.73.0"


def test_anonymous_requests_get_401(cvat_server):
    with checked_client(cvat_server.url) as client:
        response = client.get("/api/tasks")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_login_sets_session_and_csrf_cookies_and_enforces_csrf(cvat_server):
    # its own user: the logout at the end revokes the user's token, which the admin's
    # token of the other tests must survive
    cvat_server.create_user("sessionuser", "Session-pw-2026", group="admin")
    with checked_client(cvat_server.url) as client:
        response = client.post(
            "/api/auth/login", json={"username": "sessionuser", "password": "Session-pw-2026"}
        )
        assert response.status_code == 200
        assert {"sessionid", "csrftoken"} <= set(client.cookies.keys())
        # reads with the session cookie alone work
        assert client.get("/api/users/self").json()["username"] == "sessionuser"
        # writes without the CSRF header are refused, with it they pass
        missing = client.post("/api/projects", json={"name": "csrf"})
        assert missing.status_code == 403
        assert "CSRF" in missing.json()["detail"]
        wrong = client.post("/api/projects", json={"name": "csrf"}, headers={"X-CSRFToken": "nope"})
        assert wrong.status_code == 403
        foreign = client.post(
            "/api/projects",
            json={"name": "csrf"},
            headers={"X-CSRFToken": client.cookies["csrftoken"], "Origin": "http://evil.example"},
        )
        assert foreign.status_code == 403
        assert "Origin" in foreign.json()["detail"]
        ok = client.post(
            "/api/projects",
            json={"name": "csrf"},
            headers={"X-CSRFToken": client.cookies["csrftoken"]},
        )
        assert ok.status_code == 201
        token = response.json()["key"]
        # the REST token works on its own
        with checked_client(cvat_server.url, headers={"Authorization": f"Token {token}"}) as other:
            assert other.get("/api/users/self").status_code == 200
        assert (
            client.post(
                "/api/auth/logout", headers={"X-CSRFToken": client.cookies["csrftoken"]}
            ).status_code
            == 200
        )
        assert client.get("/api/users/self").status_code == 401
        # as in dj-rest-auth, logging out deletes the user's one REST token: every client
        # that holds it is logged out too, and the next login issues a new one
        with checked_client(cvat_server.url, headers={"Authorization": f"Token {token}"}) as other:
            assert other.get("/api/users/self").status_code == 401


def test_bad_credentials(cvat_server):
    with checked_client(cvat_server.url) as client:
        login = client.post("/api/auth/login", json={"username": "admin", "password": "wrong"})
        assert login.status_code == 400
        assert "non_field_errors" in login.json()
        assert (
            client.get("/api/users/self", headers={"Authorization": "Token bad"}).status_code == 401
        )
        basic = client.get("/api/users/self", auth=("admin", "wrong"))
        assert basic.status_code == 401
        good = client.get("/api/users/self", auth=(cvat_server.username, cvat_server.password))
        assert good.status_code == 200


def test_users_search_and_filters(cvat_server):
    cvat_server.create_user("search-alice", "pw-alice", first_name="Alice")
    cvat_server.create_user("search-bob", "pw-bob")
    with admin_client(cvat_server) as client:
        found = client.get("/api/users", params={"search": "search-"}).json()
        assert {u["username"] for u in found["results"]} == {"search-alice", "search-bob"}
        exact = client.get("/api/users", params={"username": "search-alice"}).json()
        assert exact["count"] == 1
        assert exact["results"][0]["first_name"] == "Alice"
        paged = client.get("/api/users", params={"search": "search-", "page_size": 1}).json()
        assert paged["count"] == 2
        assert len(paged["results"]) == 1
        assert paged["next"] is not None
        second = client.get(paged["next"]).json()
        assert second["previous"] is not None
        assert second["results"][0]["username"] != paged["results"][0]["username"]
        assert client.get("/api/users", params={"page": 99}).status_code == 404


def test_personal_access_tokens(cvat_server):
    user = cvat_server.create_user("pat-user", "pw")
    with user_client(cvat_server, user["token"]) as client:
        created = client.post("/api/auth/access_tokens", json={"name": "ci", "read_only": True})
        assert created.status_code == 201
        value = created.json()["value"]
        listed = client.get("/api/auth/access_tokens").json()
        assert [t["name"] for t in listed["results"]] == ["ci"]
        assert "value" not in listed["results"][0]
    bearer = {"Authorization": f"Bearer {value}"}
    with checked_client(cvat_server.url, headers=bearer) as client:
        assert client.get("/api/users/self").json()["username"] == "pat-user"
        assert client.post("/api/projects", json={"name": "ro"}).status_code == 403
    response = httpx.get(
        cvat_server.url + "/api/users/self", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401


def test_workers_cannot_create_and_users_see_only_their_objects(cvat_server):
    worker = cvat_server.create_user("perm-worker", "pw", group="worker")
    owner = cvat_server.create_user("perm-owner", "pw")
    with user_client(cvat_server, worker["token"]) as client:
        assert client.post("/api/projects", json={"name": "no"}).status_code == 403
    with user_client(cvat_server, owner["token"]) as client:
        task = client.post("/api/tasks", json={"name": "mine", "labels": [{"name": "a"}]}).json()
        assert task["owner"]["username"] == "perm-owner"
    with user_client(cvat_server, worker["token"]) as client:
        assert client.get(f"/api/tasks/{task['id']}").status_code == 403
        assert task["id"] not in [t["id"] for t in client.get("/api/tasks").json()["results"]]
    with admin_client(cvat_server) as client:
        assert (
            client.patch(f"/api/tasks/{task['id']}", json={"assignee_id": worker["id"]}).status_code
            == 200
        )
    with user_client(cvat_server, worker["token"]) as client:
        assert (
            client.get(f"/api/tasks/{task['id']}").json()["assignee"]["username"] == "perm-worker"
        )


def test_organizations_scope_what_is_visible(cvat_server):
    member = cvat_server.create_user("org-member", "pw")
    with admin_client(cvat_server) as client:
        org = client.post("/api/organizations", json={"slug": "lab", "name": "Lab"}).json()
        inside = client.post(
            "/api/projects", json={"name": "org-project"}, headers={"X-Organization": "lab"}
        ).json()
        outside = client.post("/api/projects", json={"name": "personal-project"}).json()
        assert inside["organization"] == org["id"]
        scoped = client.get("/api/projects", params={"org": "lab"}).json()
        assert [p["id"] for p in scoped["results"]] == [inside["id"]]
        sandbox = client.get("/api/projects", headers={"X-Organization": ""}).json()
        assert inside["id"] not in [p["id"] for p in sandbox["results"]]
        assert outside["id"] in [p["id"] for p in sandbox["results"]]
    with user_client(cvat_server, member["token"]) as client:
        assert client.get("/api/projects", headers={"X-Organization": "lab"}).status_code == 403
    cvat_server.add_membership("lab", "org-member", "maintainer")
    with user_client(cvat_server, member["token"]) as client:
        visible = client.get("/api/projects", headers={"X-Organization": "lab"}).json()
        assert [p["id"] for p in visible["results"]] == [inside["id"]]
        members = client.get("/api/memberships", params={"org": "lab"}).json()
        assert {m["user"]["username"] for m in members["results"]} == {"admin", "org-member"}


def test_invitations_and_membership_management(cvat_server):
    owner = cvat_server.create_user("inv-owner", "pw")
    guest = cvat_server.create_user("inv-guest", "pw", email="guest@example.com")
    org_header = {"X-Organization": "inv-org"}
    with user_client(cvat_server, owner["token"]) as client:
        assert client.post("/api/organizations", json={"slug": "inv-org"}).status_code == 201
        unknown = client.post(
            "/api/invitations",
            json={"email": "nobody@example.com", "role": "worker"},
            headers=org_header,
        )
        assert unknown.status_code == 400
        invitation = client.post(
            "/api/invitations",
            json={"email": "guest@example.com", "role": "supervisor"},
            headers=org_header,
        ).json()
        assert (invitation["role"], invitation["accepted"]) == ("supervisor", False)
    with user_client(cvat_server, guest["token"]) as client:
        assert client.get("/api/projects", headers=org_header).status_code == 403
        mine = client.get("/api/invitations").json()["results"]
        assert [i["key"] for i in mine] == [invitation["key"]]
        accepted = client.post(f"/api/invitations/{invitation['key']}/accept")
        assert accepted.json() == {"organization_slug": "inv-org"}
        assert client.get("/api/projects", headers=org_header).status_code == 200
        member = client.get(
            "/api/memberships", params={"org": "inv-org", "user": "inv-guest"}
        ).json()["results"][0]
        assert member["role"] == "supervisor"
        assert (
            client.patch(
                f"/api/memberships/{member['id']}", json={"role": "maintainer"}
            ).status_code
            == 403
        )
    with user_client(cvat_server, owner["token"]) as client:
        assert (
            client.patch(f"/api/memberships/{member['id']}", json={"role": "worker"}).json()["role"]
            == "worker"
        )
        assert client.delete(f"/api/memberships/{member['id']}").status_code == 204
    with user_client(cvat_server, guest["token"]) as client:
        assert client.get("/api/projects", headers=org_header).status_code == 403


_PASSWORD = "Quiet-Harbor-7314"


def _register(server, **changes):
    body = {
        "username": "newbie1",
        "email": "newbie1@example.com",
        "password1": _PASSWORD,
        "password2": _PASSWORD,
        **changes,
    }
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        return anonymous.post("/api/auth/register", json=body), anonymous.cookies


REFUSED_REGISTRATIONS = [
    ({"username": "abcd"}, {"username": ["Ensure this field has at least 5 characters."]}),
    (
        {"username": "new bie"},
        {
            "username": [
                "Enter a valid username. This value may contain only letters, numbers, and "
                "@/./+/-/_ characters."
            ]
        },
    ),
    (
        {"password1": "Ab1-x", "password2": "Ab1-x"},
        {
            "password1": ["Ensure this field has at least 8 characters."],
            "password2": ["Ensure this field has at least 8 characters."],
        },
    ),
    ({"password1": "password123", "password2": "password123"}, {"password1": ["This password is too common."]}),
    (
        {"password1": 12345678, "password2": 12345678},
        {"password1": ["This password is too common.", "This password is entirely numeric."]},
    ),
    ({"password1": "8392017465", "password2": "8392017465"}, {"password1": ["This password is entirely numeric."]}),
    (
        {"password1": "newbie1-x", "password2": "newbie1-x"},
        {"non_field_errors": ["The password is too similar to the username."]},
    ),
    (
        {"first_name": "Marmaduke", "password1": "marmaduke9", "password2": "marmaduke9"},
        {"non_field_errors": ["The password is too similar to the first name."]},
    ),
    ({"password2": _PASSWORD + "!"}, {"non_field_errors": ["The two password fields didn't match."]}),
    ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
    (
        {"first_name": "", "last_name": ""},
        {"first_name": ["This field may not be blank."], "last_name": ["This field may not be blank."]},
    ),
]  # fmt: skip


def test_registration_validates_as_cvat(cvat_server_fresh):
    """CVAT 2.73's rules (dj-rest-auth, allauth and Django's password validators), field
    errors first, then the match, then similarity to the new user's own attributes."""
    server = cvat_server_fresh
    for changes, expected in REFUSED_REGISTRATIONS:
        response, _ = _register(server, **changes)
        assert (response.status_code, response.json()) == (400, expected), changes
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        empty = anonymous.post("/api/auth/register", json={})
    assert empty.json() == {
        field: ["This field is required."] for field in ("username", "password1", "password2")
    }


def test_registration_logs_the_new_user_in_and_names_are_optional(cvat_server_fresh):
    server = cvat_server_fresh
    response, cookies = _register(server)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["username"], body["first_name"], body["last_name"]) == ("newbie1", "", "")
    assert body["key"] and "sessionid" in cookies and "csrftoken" in cookies
    with httpx.Client(base_url=server.url, timeout=60) as client:
        me = client.get("/api/users/self", headers={"Authorization": f"Token {body['key']}"})
    assert me.json()["username"] == "newbie1"
    taken, _ = _register(server, username="NEWBIE1", email="other@example.com")
    assert taken.json() == {"username": ["A user with that username already exists."]}
    same_email, _ = _register(server, username="newbie2", email="NewBie1@example.com")
    assert same_email.json() == ["A user is already registered with this e-mail address."]
