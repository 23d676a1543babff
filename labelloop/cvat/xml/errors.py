"""Errors raised while reading or writing CVAT XML annotation files."""

from __future__ import annotations


class CVATXMLError(ValueError):
    """A CVAT XML file is malformed, unsupported, or a record cannot be written."""


class UnsafeXMLError(CVATXMLError):
    """The file uses an XML feature refused for safety (entities, external references)."""
