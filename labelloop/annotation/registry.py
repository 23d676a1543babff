"""Backend registry: turn a backend name (or config class) plus kwargs into a config.

Backends are found through :data:`labelloop.annotation.config.annotation_config`:
each entry's ``config_cls`` names the config class, whose ``backend_cls`` names
the backend. Nothing here knows any backend by name.
"""

from __future__ import annotations

import inspect
import logging
import re
from typing import Any

from labelloop.annotation.base import AnnotationBackendConfig
from labelloop.annotation.classpath import import_class
from labelloop.annotation.config import annotation_config, env_params

logger = logging.getLogger(__name__)


def backend_names() -> list[str]:
    """Names of the configured backends."""
    return sorted(annotation_config.backends)


def build_config(
    backend: str | type | None, label_schema: dict[str, Any] | None, **kwargs: Any
) -> AnnotationBackendConfig:
    """The backend config for one call: config-entry parameters overlaid by ``kwargs``.

    ``backend`` is a configured name, ``None`` for the default backend, or an
    :class:`AnnotationBackendConfig` subclass.
    """
    if backend is None:
        backend = annotation_config.default_backend
    if isinstance(backend, type):
        config_cls: type = backend
        name = getattr(backend, "default_name", None) or backend.__name__
        params: dict[str, Any] = {}
    elif isinstance(backend, str):
        name = backend
        params = annotation_config.backend_params(name)
        config_cls_path = kwargs.pop("config_cls", None) or params.get("config_cls")
        if not config_cls_path:
            raise ValueError(
                f"Annotation backend {name!r} has no 'config_cls'; set "
                f"annotation_config.backends[{name!r}]['config_cls'] to the dotted path of its "
                "AnnotationBackendConfig subclass"
            )
        config_cls = (
            import_class(config_cls_path, f"config_cls of backend {name!r}")
            if isinstance(config_cls_path, str)
            else config_cls_path
        )
    else:
        raise ValueError(
            f"backend must be a backend name {backend_names()} or a config class, not {backend!r}"
        )
    if not (isinstance(config_cls, type) and issubclass(config_cls, AnnotationBackendConfig)):
        raise ValueError(
            f"config_cls of backend {name!r} must be an AnnotationBackendConfig subclass, "
            f"not {config_cls!r}"
        )
    params.pop("config_cls", None)
    _drop_foreign_env_params(name, config_cls, params)
    configured = {k for k in params if kwargs.get(k) is None}
    params.update({k: v for k, v in kwargs.items() if v is not None or k not in params})
    try:
        return config_cls(name, label_schema, **params)
    except ValueError as err:
        origin = _config_origin(name, configured, str(err))
        if origin:
            raise ValueError(f"{err} ({origin})") from None
        raise


def _config_origin(name: str, configured: set[str], message: str) -> str:
    """Where the configured parameters a config error names were set (file or variable)."""
    env = env_params(name) if name.isidentifier() else {}
    named = sorted(k for k in configured if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", message))
    places = [
        f"environment variable LABELLOOP_{name.upper()}_{k.upper()}"
        if k in env
        else f"backends[{name!r}][{k!r}] in the annotation config {annotation_config.path}"
        for k in named
    ]
    return ("set by " + ", ".join(places) + "; fix it there") if places else ""


def backend_parameters(config_cls: type) -> set[str]:
    """Every parameter a backend config class accepts (its and its bases' ``__init__``
    arguments plus its credential names)."""
    accepted = set(getattr(config_cls, "credential_names", ()))
    for klass in config_cls.__mro__:
        init = vars(klass).get("__init__")
        if init is not None:
            accepted.update(
                p.name
                for p in inspect.signature(init).parameters.values()
                if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            )
    return accepted - {"self"}


def _drop_foreign_env_params(name: str, config_cls: type, params: dict[str, Any]) -> None:
    """Environment variables that share a backend's prefix but are not its parameters
    (e.g. ``LABELLOOP_CVAT_SERVER_PASSWORD`` of the local test server) are not errors."""
    accepted = backend_parameters(config_cls)
    for key in env_params(name) if name.isidentifier() else ():
        if key in params and key not in accepted:
            logger.debug("Ignoring environment variable for %r: %r is not a parameter", name, key)
            params.pop(key)
