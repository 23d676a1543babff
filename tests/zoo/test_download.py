"""Resumable, verified downloads against a real local HTTP server."""

from __future__ import annotations

import hashlib
import os

import pytest

from labelloop.zoo.download import DownloadError, download
from tests.zoo.http_files import FileServer

PAYLOAD = os.urandom(3 * 1024 * 1024 + 123)
MD5 = hashlib.md5(PAYLOAD).hexdigest()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


def test_plain_download_verifies_checksums(tmp_path):
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        out = download(
            f"{srv.url}/f.bin",
            tmp_path / "f.bin",
            md5=MD5,
            sha256=SHA256,
            size=len(PAYLOAD),
            progress=False,
        )
    assert out.read_bytes() == PAYLOAD
    assert not (tmp_path / "f.bin.part").exists()
    assert srv.ranges == [None]


def test_resumes_a_partial_file_left_by_an_earlier_run(tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:1000])
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        download(f"{srv.url}/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert srv.ranges == ["bytes=1000-"]
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_dropped_connection_is_resumed_within_the_call(tmp_path):
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        srv.cut_after = 1_500_000
        download(f"{srv.url}/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert srv.ranges[0] is None
    assert srv.ranges[1] is not None and srv.ranges[1].startswith("bytes=")
    resumed_at = int(srv.ranges[1].split("=")[1].rstrip("-"))
    assert 0 < resumed_at <= 1_500_000
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_complete_partial_file_gets_416_and_is_accepted(tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        download(f"{srv.url}/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert srv.ranges == [f"bytes={len(PAYLOAD)}-"]
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_server_ignoring_range_restarts_from_zero(tmp_path):
    (tmp_path / "f.bin.part").write_bytes(b"garbage" * 10)
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        srv.ignore_range = True
        download(f"{srv.url}/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_checksum_mismatch_raises_and_removes_partial(tmp_path):
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        with pytest.raises(DownloadError, match="did not verify"):
            download(f"{srv.url}/f.bin", tmp_path / "f.bin", md5="0" * 32, progress=False)
    assert not (tmp_path / "f.bin").exists()
    assert not (tmp_path / "f.bin.part").exists()


def test_existing_verified_file_is_not_downloaded_again(tmp_path):
    (tmp_path / "f.bin").write_bytes(PAYLOAD)
    with FileServer({"/f.bin": PAYLOAD}) as srv:
        download(f"{srv.url}/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert srv.ranges == []


def test_missing_file_is_a_clear_error(tmp_path):
    with FileServer({}) as srv:
        with pytest.raises(DownloadError, match="HTTP 404"):
            download(f"{srv.url}/nope.bin", tmp_path / "nope.bin", progress=False)
