"""Compatibility facade: the reference system's ``fiftyone.utils.annotations`` names.

``annotate(samples, anno_key, ...)``, ``load_annotations(samples, anno_key, ...)``,
``connect_to_api(backend, ...)`` and the base classes, all from
:mod:`labelloop.annotation`.
"""

from labelloop.annotation import *  # noqa: F403
from labelloop.annotation import __all__  # noqa: F401
