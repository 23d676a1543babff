"""Security cases: credentials, TLS, hostile XML, loopback binding and path traversal."""

from __future__ import annotations

import http.client
import json
import logging
import os
import stat

import pytest
from click.testing import CliRunner

from labelloop.cli.main import cli
from labelloop.cvat.client import CVATClient
from labelloop.cvat.errors import CVATAuthError, CVATConnectionError
from labelloop.cvat.xml.errors import UnsafeXMLError
from labelloop.cvat.xml.reader import iter_cvat_xml
from tests.reliability.conftest import SECRETS
from tests.reliability.helpers import creds, image_dataset, server_get
from tests.reliability.tls import TLSServer, self_signed


def _everything_said_about(dataset, results, key):
    info = dataset.get_annotation_info(key)
    return "\n".join(
        [
            repr(results),
            str(results.to_dict()),
            str(info),
            repr(results.config),
            json.dumps(results.config.serialize(), default=str),
            repr(results.connect_to_api()),
        ]
    )


def test_password_never_in_reprs_results_or_run_records(server, tmp_path):
    dataset = image_dataset(tmp_path, 1)
    results = dataset.annotate("secret_run", label_field="gt", **creds(server))
    said = _everything_said_about(dataset, results, "secret_run")
    assert server.password not in said
    assert "secret_run" in said  # the texts were really produced
    results.cleanup()


def test_token_and_personal_access_token_auth_need_no_password(server, tmp_path):
    with server.client() as client:
        response = client.post("/api/auth/access_tokens", json={"name": "ci"})
        response.raise_for_status()
        pat = response.json()["value"] if "value" in response.json() else response.json()["token"]
    SECRETS.add(pat)
    dataset = image_dataset(tmp_path, 1)
    for key, auth in (
        ("by_token", {"token": server.admin_token}),
        ("by_pat", {"access_token": pat}),
    ):
        results = dataset.annotate(key, label_field="gt", url=server.url, **auth)
        said = _everything_said_about(dataset, results, key)
        assert server.admin_token not in said and pat not in said
        dataset.load_annotations(key, url=server.url, cleanup=True, **auth)


def test_wrong_password_error_names_the_problem_not_the_password(server, tmp_path):
    wrong = "not-the-password-41"
    SECRETS.add(wrong)
    dataset = image_dataset(tmp_path, 1)
    with pytest.raises(CVATAuthError) as info:
        dataset.annotate(
            "denied", label_field="gt", url=server.url, username="admin", password=wrong
        )
    assert wrong not in str(info.value) and wrong not in repr(info.value)
    assert "credentials" in str(info.value)
    assert not dataset.has_annotation_run("denied")


def test_config_set_writes_0600_and_loading_a_readable_file_warns(tmp_path, monkeypatch, caplog):
    path = tmp_path / "annotation_config.json"
    monkeypatch.setenv("LABELLOOP_ANNOTATION_CONFIG_PATH", str(path))
    secret = "pw-in-config-file-77"
    SECRETS.add(secret)
    result = CliRunner().invoke(cli, ["config", "set", "cvat.password", secret])
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text())["backends"]["cvat"]["password"] == secret
    from labelloop.annotation.config import AnnotationConfig

    with caplog.at_level(logging.WARNING):
        AnnotationConfig(path)
    assert not [r for r in caplog.records if "chmod 600" in r.getMessage()]
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        AnnotationConfig(path)
    warnings = [r.getMessage() for r in caplog.records if "chmod 600" in r.getMessage()]
    assert warnings and str(path) in warnings[0] and secret not in warnings[0]


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_tls_is_verified_by_default(tls_cert):
    with TLSServer(*tls_cert) as url:
        with pytest.raises(CVATConnectionError, match="CERTIFICATE|certificate|SSL"):
            CVATClient(url, token="t0ken-tls")


def test_tls_custom_ca_bundle_is_trusted(tls_cert):
    with TLSServer(*tls_cert) as url:
        with CVATClient(url, token="t0ken-tls", verify=str(tls_cert[0])) as client:
            assert str(client.server_version) == "2.73.0"


def test_tls_verification_off_warns_loudly(tls_cert, caplog):
    with TLSServer(*tls_cert) as url, caplog.at_level(logging.WARNING):
        with CVATClient(url, token="t0ken-tls", verify=False) as client:
            assert str(client.server_version) == "2.73.0"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("verification is OFF" in r.getMessage() and url in r.getMessage() for r in warnings)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<annotations><version>1.1</version><image id="0" name="&lol3;" width="4" height="4"/></annotations>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<annotations><version>1.1</version><image id="0" name="&xxe;" width="4" height="4"/></annotations>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE annotations SYSTEM "http://127.0.0.1:1/evil.dtd">
<annotations><version>1.1</version></annotations>
"""


@pytest.mark.parametrize(
    "payload", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["entities", "xxe", "dtd"]
)
def test_hostile_cvat_xml_is_refused(tmp_path, payload):
    path = tmp_path / "annotations.xml"
    path.write_bytes(payload)
    with pytest.raises(UnsafeXMLError):
        list(iter_cvat_xml(str(path)))


def _raw_get(url: str, target: str, token: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.putheader("Authorization", f"Token {token}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


TRAVERSALS = [
    "/../../../../etc/passwd",
    "/api/../../../../etc/passwd",
    "/api/tasks/1/data/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/api/tasks/1/data?type=frame&number=../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]


def test_local_server_binds_loopback_and_refuses_path_traversal(server, tmp_path):
    assert server.url.startswith("http://127.0.0.1:")
    dataset = image_dataset(tmp_path, 1)
    results = dataset.annotate("served", label_field="gt", **creds(server))
    (task_id,) = results.task_ids
    for target in TRAVERSALS:
        target = target.replace("/tasks/1/", f"/tasks/{task_id}/")
        status, body = _raw_get(server.url, target, server.admin_token)
        if status == 500:  # a non-numeric frame number: CVAT 2.73's own 500 page, copied
            assert b"Server Error (500)" in body, (target, body[:200])
        else:
            assert status in (400, 404), (target, status)
        assert b"root:" not in body
    assert server_get(server, f"/api/tasks/{task_id}")["id"] == task_id
    results.cleanup()


def test_app_binds_loopback_and_serves_only_dataset_files(tmp_path):
    import httpx

    from labelloop.app.session import launch_app

    dataset = image_dataset(tmp_path, 1)
    media = next(dataset.iter_samples()).filepath
    outside = tmp_path / "private.txt"
    outside.write_text("root:x:0:0 not for the App\n")
    with launch_app(dataset, port=0, auto=False) as session:
        assert session.url.startswith("http://localhost:")
        base = f"http://127.0.0.1:{session.port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/media", params={"filepath": media}).status_code == 200
            for target in [
                str(outside),
                "/etc/passwd",
                media + "/../../private.txt",
                str(tmp_path / "media" / ".." / "private.txt"),
            ]:
                for route in ("/media", "/thumb"):
                    response = client.get(route, params={"filepath": target})
                    assert response.status_code in (400, 403, 404), (route, target)
                    assert b"root:" not in response.content
            for raw in ("/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd"):
                status, body = _raw_get(base, raw, "unused")
                assert status in (400, 404) and b"root:" not in body


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_image_chunk_zip_bomb_is_refused_before_inflating(monkeypatch):
    from labelloop.cvat import import_media

    bomb = _zip({"000000.png": b"\0" * 4_000_000})  # ~4 KB on the wire
    assert len(bomb) < 50_000
    monkeypatch.setattr(import_media, "MAX_CHUNK_MEMBER_BYTES", 1_000_000)
    with pytest.raises(ValueError, match="zip bomb") as info:
        list(import_media._chunk_frames(bomb))
    assert "000000.png" in str(info.value)


def test_image_chunk_member_names_are_never_paths(tmp_path):
    import io

    from PIL import Image

    from labelloop.cvat import import_media

    frame = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(frame, format="PNG")
    chunk = _zip({"../../escape.png": frame.getvalue()})
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        frames = list(import_media._chunk_frames(chunk))
    finally:
        os.chdir(cwd)
    assert len(frames) == 1  # read in memory: nothing written, wherever the name points
    assert not (tmp_path.parent.parent / "escape.png").exists()
