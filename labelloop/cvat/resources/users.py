"""CVAT users: look up ids by username."""

from __future__ import annotations

import logging

from labelloop.cvat.resources.base import Resource

logger = logging.getLogger(__name__)


class Users(Resource):
    """``/api/users``."""

    path = "/api/users"

    def find_id(self, username: str) -> int | None:
        """Id of the user named exactly ``username``, or ``None`` if there is none."""
        for user in self.list(search=username):
            if user.get("username") == username:
                return int(user["id"])
        return None

    def username(self, user: dict | int | None) -> str | None:
        """A username from a user summary object, a user id, or ``None``."""
        if user is None:
            return None
        if isinstance(user, dict):
            if user.get("username"):
                return str(user["username"])
            user = user.get("id")
            if user is None:
                return None
        return str(self.get(int(user)).get("username"))

    def self(self) -> dict:
        """The logged-in user."""
        return self.client.get_json(f"{self.path}/self")
