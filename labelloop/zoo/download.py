"""Resumable, verified HTTP downloads for real zoo datasets.

A file is fetched into ``<name>.part``; when a transfer breaks, the next
attempt (in this call or a later one) asks the server for the remaining bytes
with a ``Range`` header and appends them. Once complete, the checksum is
verified before the file is renamed into place, so a corrupt or truncated
download is never mistaken for a good one.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import httpx

from labelloop.progress import bar

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download failed for good (after retries) or did not verify."""


def file_digest(path: Path, algorithm: str = "md5") -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download(
    url: str,
    path: str | os.PathLike[str],
    *,
    md5: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    retries: int = 5,
    progress: bool = True,
    client: httpx.Client | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``path``, resuming a previous partial download.

    ``md5``/``sha256``/``size``, when given, are checked before the file is
    moved into place; a mismatch deletes the partial file and raises
    :class:`DownloadError`. An existing ``path`` that verifies is kept as is.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    dest = Path(path)
    if dest.is_file() and _verified(dest, md5, sha256, size):
        logger.debug("%s already downloaded", dest)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    own_client = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=timeout)
    try:
        last_error: Exception | None = None
        for attempt in range(retries + 1):
            try:
                if _fetch(http, url, part, progress):
                    break
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500:
                    raise DownloadError(
                        f"GET {url} failed: HTTP {exc.response.status_code}"
                    ) from exc
                last_error = exc
                logger.warning("Download of %s interrupted (%s); attempt %d", url, exc, attempt + 1)
        else:
            raise DownloadError(f"GET {url} failed after {retries + 1} attempts: {last_error}")
    finally:
        if own_client:
            http.close()
    if not _verified(part, md5, sha256, size):
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{url} did not verify (expected md5={md5} sha256={sha256} size={size}); "
            "the partial file was removed, call again to retry"
        )
    os.replace(part, dest)
    return dest


def _fetch(http: httpx.Client, url: str, part: Path, progress: bool) -> bool:
    """One transfer attempt; returns True when the server has sent everything."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with http.stream("GET", url, headers=headers) as resp:
        if resp.status_code == 416 and offset:
            return True  # nothing left to send: the partial file is complete
        resp.raise_for_status()
        if resp.status_code == 206:
            start = _range_start(resp.headers.get("content-range", ""))
            if start != offset:
                raise DownloadError(f"{url}: asked for bytes from {offset}, got from {start}")
            mode = "ab"
        else:  # the server ignored the Range header: start over
            offset, mode = 0, "wb"
        length = resp.headers.get("content-length")
        total = offset + int(length) if length is not None else None
        with (
            open(part, mode) as f,
            bar(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=part.name[: -len(".part")],
                show=progress,
                leave=False,
            ) as shown,
        ):
            for chunk in resp.iter_bytes(_CHUNK):
                f.write(chunk)
                shown.update(len(chunk))
    return True


def _range_start(content_range: str) -> int:
    # "bytes 100-199/200"
    try:
        return int(content_range.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return -1


def _verified(path: Path, md5: str | None, sha256: str | None, size: int | None) -> bool:
    if size is not None and path.stat().st_size != size:
        return False
    if md5 is not None and file_digest(path, "md5") != md5.lower():
        return False
    return sha256 is None or file_digest(path, "sha256") == sha256.lower()
