"""Test tools that stand apart from the library: the local CVAT-compatible server
(``labelloop.testing.cvat_server``), its pytest fixtures (``labelloop.testing.fixtures``)
and a scripted annotator (``labelloop.testing.annotator``). Nothing in the library
imports this package."""
