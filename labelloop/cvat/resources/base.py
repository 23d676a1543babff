"""What every CVAT resource shares: get, exists, list with filters, patch, delete."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from labelloop.cvat.client import CVATClient
from labelloop.cvat.errors import CVATConnectionError, CVATError, CVATNotFound, CVATTimeoutError

logger = logging.getLogger(__name__)


class Resource:
    """A collection endpoint such as ``/api/tasks`` and its ``/<id>`` members."""

    #: Path of the collection, e.g. ``"/api/tasks"``.
    path: str = ""

    def __init__(self, client: CVATClient) -> None:
        self.client = client

    def url(self, resource_id: int) -> str:
        """Path of one member."""
        return f"{self.path}/{int(resource_id)}"

    def get(self, resource_id: int) -> dict[str, Any]:
        """The member's JSON; :class:`CVATNotFound` if it does not exist."""
        return self.client.get_json(self.url(resource_id))

    def exists(self, resource_id: int) -> bool:
        """Whether the member exists (404 means no)."""
        try:
            self.client.get(self.url(resource_id))
        except CVATNotFound:
            return False
        return True

    def list(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every member matching the server-side ``filters`` (e.g. ``task_id=3``)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self.client.paginate(self.path, params)

    def patch(self, resource_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Partially update a member; the same body sent twice gives the same state."""
        return self.client.send_json("PATCH", self.url(resource_id), body, idempotent=True)

    def delete(self, resource_id: int, missing_ok: bool = True) -> bool:
        """Delete a member; returns ``False`` if it was already gone and ``missing_ok``."""
        try:
            self.client.delete(self.url(resource_id))
        except CVATNotFound:
            if not missing_ok:
                raise
            logger.debug("%s already deleted", self.url(resource_id))
            return False
        return True

    def create_named(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST`` a new member named ``body["name"]``.

        When the answer is lost (connection dropped, timeout) the server may have
        created the member anyway; such a member, found by name among those that
        did not exist before the request, is deleted before the error propagates,
        so no caller is left with an object it never learnt the id of.
        """
        name = body["name"]
        existing = self._ids_named(name)
        try:
            return self.client.send_json("POST", self.path, body)
        except (CVATConnectionError, CVATTimeoutError):
            try:
                for member_id in sorted(self._ids_named(name) - existing):
                    logger.warning(
                        "Deleting %s: its creation's answer was lost", self.url(member_id)
                    )
                    self.delete(member_id)
            except CVATError as cleanup_err:
                logger.error("Could not look for a half-created %r: %s", name, cleanup_err)
            raise

    def _ids_named(self, name: str) -> set[int]:
        return {int(m["id"]) for m in self.list(name=name) if m.get("name") == name}
