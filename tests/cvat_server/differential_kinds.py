"""The catalogue of request kinds the differential test sends to both servers.

Every endpoint, method, content type and body shape that labelloop's CVAT
backend (``labelloop/cvat``) and the test annotator
(``labelloop/testing/annotator.py``) send, each followed by the malformed
variants a client could send: wrong content type, unknown fields, missing
fields, wrong types, nonexistent ids, bad pagination. Kinds run in order;
a kind may use ids captured by an earlier one (``capture``).
"""

from __future__ import annotations

from tests.cvat_server.differential import Kind, Ref
from tests.cvat_server.differential_media_kinds import (
    ANNOTATIONS,
    DATA,
    JOBS,
    MISSING_ID,
    UPLOADS,
)

K = Kind
_PROJECT = {"name": "{prefix}-p2", "labels": [{"name": "tree", "attributes": []}]}


SERVER_AND_AUTH = [
    K("about", "GET", "/api/server/about", auth="none"),
    K("about, authenticated", "GET", "/api/server/about"),
    K(
        "login json",
        "POST",
        "/api/auth/login",
        auth="none",
        json={"username": Ref("username"), "password": Ref("password")},
    ),
    K(
        "login wrong password",
        "POST",
        "/api/auth/login",
        auth="none",
        json={"username": Ref("username"), "password": "not-the-password"},
    ),
    K(
        "login missing password",
        "POST",
        "/api/auth/login",
        auth="none",
        json={"username": Ref("username")},
    ),
    K("login empty body", "POST", "/api/auth/login", auth="none", json={}),
    K(
        "login form-encoded",
        "POST",
        "/api/auth/login",
        auth="none",
        data={"username": Ref("username"), "password": Ref("password")},
    ),
    K(
        "login invalid json",
        "POST",
        "/api/auth/login",
        auth="none",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    ),
    K("no credentials", "GET", "/api/projects", auth="none"),
    K("bad token", "GET", "/api/users/self", auth="bad"),
    K("basic auth read", "GET", "/api/users/self", auth="basic"),
    K(
        "session write without csrf",
        "POST",
        "/api/projects",
        auth="session-nocsrf",
        json={"name": "{prefix}-nocsrf"},
    ),
    K(
        "session write with csrf",
        "POST",
        "/api/projects",
        auth="session",
        json={"name": "{prefix}-csrf", "labels": []},
    ),
    K("logout", "POST", "/api/auth/logout", auth="fresh-session"),
    # a logout deletes the user's one REST token (dj-rest-auth): it no longer authenticates
    K(
        "token after logout",
        "GET",
        "/api/users/self",
        auth="none",
        headers={"Authorization": "Token {leaver_token}"},
    ),
]


def _register(name: str, **changes: object) -> Kind:
    """A registration CVAT 2.73 refuses (none succeeds: a new user's session cookie would
    stay on the shared anonymous client)."""
    body: dict[str, object] = {
        "username": "{prefix}-newbie",
        "email": "{prefix}-newbie@example.com",
        "password1": "Quiet-Harbor-7314",
        "password2": "Quiet-Harbor-7314",
    }
    body.update(changes)
    return K(f"register {name}", "POST", "/api/auth/register", auth="none", json=body)


_SIMILAR = "{prefix}-newbie"  # the username as password: too similar, not common or short
REGISTRATION = [
    K("register empty body", "POST", "/api/auth/register", auth="none", json={}),
    _register("short username", username="abcd"),
    _register("username with a space", username="new bie"),
    _register("username not a string", username=["newbie"]),
    _register("taken username", username=Ref("username")),
    _register("short password", password1="Ab1-x", password2="Ab1-x"),
    _register("long password", password1="Ab1-" * 70, password2="Ab1-" * 70),
    _register("common password", password1="password123", password2="password123"),
    _register("numeric password", password1="8392017465", password2="8392017465"),
    _register("password like the username", password1=_SIMILAR, password2=_SIMILAR),
    _register("passwords differ", password2="Quiet-Harbor-7315"),
    _register("bad email", email="not-an-email"),
    _register("taken email", email="{prefix}-leaver@example.com"),
    _register("blank names", first_name="", last_name=""),
    _register("long first name", first_name="x" * 151),
]

USERS = [
    K("users self", "GET", "/api/users/self"),
    K("users list", "GET", "/api/users", params={"page_size": 100}),
    K("users search", "GET", "/api/users", params={"search": "{username}", "page_size": 100}),
    K("users by username", "GET", "/api/users", params={"username": "{username}"}),
    K("user get", "GET", "/api/users/{user}"),
    K("user missing", "GET", f"/api/users/{MISSING_ID}"),
    K("users page out of range", "GET", "/api/users", params={"page": 999}),
    K("users page not a number", "GET", "/api/users", params={"page": "abc"}),
    K("users page zero", "GET", "/api/users", params={"page": 0}),
    K("users page_size not a number", "GET", "/api/users", params={"page_size": "abc"}),
    K("users page_size all", "GET", "/api/users", params={"page_size": "all"}),
    K("users page_size negative", "GET", "/api/users", params={"page_size": -5}),
]

TOKENS = [
    K(
        "access token create",
        "POST",
        "/api/auth/access_tokens",
        json={"name": "{prefix}-pat"},
        capture={"pat": "value", "pat_id": "id"},
    ),
    K("access token create missing name", "POST", "/api/auth/access_tokens", json={}),
    K("access token list", "GET", "/api/auth/access_tokens"),
    K("access token get", "GET", "/api/auth/access_tokens/{pat_id}"),
    K(
        "access token used as bearer",
        "GET",
        "/api/users/self",
        auth="none",
        headers={"Authorization": "Bearer {pat}"},
    ),
    K(
        "access token patch",
        "PATCH",
        "/api/auth/access_tokens/{pat_id}",
        json={"name": "{prefix}-pat2"},
    ),
    K("access token delete", "DELETE", "/api/auth/access_tokens/{pat_id}"),
    K("access token delete again", "DELETE", "/api/auth/access_tokens/{pat_id}"),
]


def _attribute_project(name: str, suffix: str, attribute: dict[str, object]) -> Kind:
    """A project whose one label has one attribute (a select unless ``attribute`` says)."""
    spec = {"name": "x", "input_type": "select", "mutable": False, **attribute}
    body = {"name": "{prefix}-" + suffix, "labels": [{"name": "a", "attributes": [spec]}]}
    return K(f"project create attribute with {name}", "POST", "/api/projects", json=body)


PROJECTS = [
    K("projects list", "GET", "/api/projects", params={"page_size": 100}),
    K(
        "projects in unknown organization",
        "GET",
        "/api/projects",
        headers={"X-Organization": "{prefix}-no-such-org"},
    ),
    K("organizations list", "GET", "/api/organizations"),
    K("projects search", "GET", "/api/projects", params={"search": "{project_name}"}),
    K("projects by name", "GET", "/api/projects", params={"name": "{project_name}"}),
    K("projects sorted", "GET", "/api/projects", params={"sort": "-name", "page_size": 2}),
    K("project get", "GET", "/api/projects/{project}"),
    K("project get trailing slash", "GET", "/api/projects/{project}/"),
    K("project missing", "GET", f"/api/projects/{MISSING_ID}"),
    K("project id not a number", "GET", "/api/projects/abc"),
    K("project create", "POST", "/api/projects", json=_PROJECT, capture={"project2": "id"}),
    K(
        "project create unknown field",
        "POST",
        "/api/projects",
        json={"name": "{prefix}-p3", "labels": [], "not_a_field": 1},
    ),
    K("project create missing name", "POST", "/api/projects", json={"labels": []}),
    K(
        "project create name not a string",
        "POST",
        "/api/projects",
        json={"name": ["x"], "labels": []},
    ),
    K(
        "project create label without name",
        "POST",
        "/api/projects",
        json={"name": "{prefix}-p4", "labels": [{"attributes": []}]},
    ),
    K(
        "project create duplicate labels",
        "POST",
        "/api/projects",
        json={"name": "{prefix}-p5", "labels": [{"name": "a"}, {"name": "a"}]},
    ),
    K(
        "project create bad input_type",
        "POST",
        "/api/projects",
        json={
            "name": "{prefix}-p6",
            "labels": [
                {
                    "name": "a",
                    "attributes": [
                        {"name": "x", "input_type": "slider", "mutable": False, "values": []}
                    ],
                }
            ],
        },
    ),
    # CVAT 2.73 takes a select without values or a default outside them (it lists the
    # default as given, "" when absent); a null default is a nested field error
    _attribute_project("no values", "p8", {"input_type": "select", "values": []}),
    _attribute_project("default outside values", "p9", {"values": ["x"], "default_value": "z"}),
    _attribute_project("null default", "p10", {"values": ["x"], "default_value": None}),
    K("project create form-encoded", "POST", "/api/projects", data={"name": "{prefix}-p7"}),
    K(
        "project create invalid json",
        "POST",
        "/api/projects",
        content=b"{",
        headers={"Content-Type": "application/json"},
    ),
    K("project create list body", "POST", "/api/projects", json=[{"name": "x"}]),
    K("project rename", "PATCH", "/api/projects/{project2}", json={"name": "{prefix}-p2b"}),
    K(
        "project add label",
        "PATCH",
        "/api/projects/{project2}",
        json={"labels": [{"name": "bush", "attributes": []}]},
    ),
    K(
        "project add existing label name",
        "PATCH",
        "/api/projects/{project2}",
        json={"labels": [{"name": "bush", "attributes": []}]},
    ),
    K("project patch form-encoded", "PATCH", "/api/projects/{project2}", data={"name": "x"}),
    K("project put not allowed", "PUT", "/api/projects/{project2}", json={"name": "x"}),
    K("project delete", "DELETE", "/api/projects/{project2}"),
    K("project delete again", "DELETE", "/api/projects/{project2}"),
]

LABELS = [
    K("labels of project", "GET", "/api/labels", params={"project_id": "{project}"}),
    K("labels of task", "GET", "/api/labels", params={"task_id": "{task}", "page_size": 100}),
    K("labels of job", "GET", "/api/labels", params={"job_id": "{job}", "page_size": 100}),
    K("labels of missing project", "GET", "/api/labels", params={"project_id": MISSING_ID}),
    K("labels of missing job", "GET", "/api/labels", params={"job_id": MISSING_ID}),
    K("labels of missing task", "GET", "/api/labels", params={"task_id": MISSING_ID}),
    K("labels task_id not a number", "GET", "/api/labels", params={"task_id": "abc"}),
    K("label get", "GET", "/api/labels/{label_car}"),
    K("label missing", "GET", f"/api/labels/{MISSING_ID}"),
    K(
        "labels of two parents",
        "GET",
        "/api/labels",
        params={"task_id": "{task}", "project_id": "{project}"},
    ),
]

TASKS = [
    K(
        "task create with labels",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t2", "labels": [{"name": "dog", "attributes": []}]},
        capture={"task2": "id"},
    ),
    K(
        "task create in project",
        "POST",
        "/api/tasks",
        json={
            "name": "{prefix}-t3",
            "project_id": Ref("project"),
            "segment_size": 5,
            "bug_tracker": "https://example.com/1",
            "assignee_id": Ref("user"),
        },
    ),
    K(
        "task create unknown field",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t4", "project_id": Ref("project"), "not_a_field": True},
    ),
    K("task create missing name", "POST", "/api/tasks", json={"project_id": Ref("project")}),
    K(
        "task create missing project",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t5", "project_id": MISSING_ID},
    ),
    K(
        "task create project_id not a number",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t6", "project_id": "abc"},
    ),
    K(
        "task create labels and project",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t7", "project_id": Ref("project"), "labels": [{"name": "x"}]},
    ),
    K(
        "task create negative segment_size",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t8", "project_id": Ref("project"), "segment_size": -1},
    ),
    K(
        "task create missing assignee",
        "POST",
        "/api/tasks",
        json={"name": "{prefix}-t9", "project_id": Ref("project"), "assignee_id": MISSING_ID},
    ),
    K("task create form-encoded", "POST", "/api/tasks", data={"name": "{prefix}-t10"}),
    K("task create list body", "POST", "/api/tasks", json=[{"name": "x"}]),
    K(
        "task patch missing assignee",
        "PATCH",
        "/api/tasks/{task2}",
        json={"assignee_id": MISSING_ID},
    ),
    K("tasks list", "GET", "/api/tasks", params={"page_size": 100}),
    K("tasks of project", "GET", "/api/tasks", params={"project_id": "{project}"}),
    K("tasks by name", "GET", "/api/tasks", params={"name": "{task_name}"}),
    K(
        "tasks second page",
        "GET",
        "/api/tasks",
        params={"project_id": "{project}", "page_size": 2, "page": 2},
    ),
    K("task get", "GET", "/api/tasks/{task}"),
    K("task get video", "GET", "/api/tasks/{task_video}"),
    K("task missing", "GET", f"/api/tasks/{MISSING_ID}"),
    K("task rename", "PATCH", "/api/tasks/{task2}", json={"name": "{prefix}-t2b"}),
    K("task assign", "PATCH", "/api/tasks/{task2}", json={"assignee_id": Ref("user")}),
    K("task unassign", "PATCH", "/api/tasks/{task2}", json={"assignee_id": None}),
    K(
        "task add label",
        "PATCH",
        "/api/tasks/{task2}",
        json={"labels": [{"name": "cow", "attributes": []}]},
    ),
    K("task patch form-encoded", "PATCH", "/api/tasks/{task2}", data={"name": "x"}),
    K("task patch name not a string", "PATCH", "/api/tasks/{task2}", json={"name": {"a": 1}}),
    K("task delete", "DELETE", "/api/tasks/{task2}"),
    K("task delete again", "DELETE", "/api/tasks/{task2}"),
]

KINDS: list[Kind] = (
    SERVER_AND_AUTH
    + REGISTRATION
    + USERS
    + TOKENS
    + PROJECTS
    + LABELS
    + TASKS
    + UPLOADS
    + DATA
    + JOBS
    + ANNOTATIONS
)
