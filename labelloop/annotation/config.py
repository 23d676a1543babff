"""The annotation config: which backends exist, their parameters and credentials.

Sources, lowest precedence first: built-in defaults, the JSON file
(``LABELLOOP_ANNOTATION_CONFIG_PATH``, else ``$LABELLOOP_HOME/annotation_config.json``,
else ``~/.labelloop/annotation_config.json``), then environment variables
``LABELLOOP_<BACKEND>_<PARAM>`` (the reference system's ``FIFTYONE_<BACKEND>_<PARAM>``
names are read when ours are unset). Keyword arguments given to a call win
over all of them; an interactive prompt is the last resort.
"""

from __future__ import annotations

import copy
import getpass
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Parameters that authenticate a user; never stored in runs, reprs or logs.
SECRET_PARAMS: tuple[str, ...] = (
    "username",
    "password",
    "email",
    "headers",
    "token",
    "access_token",
    "api_key",
)

#: Env prefixes in precedence order: ours first, the reference system's for migrating users.
ENV_PREFIXES: tuple[str, ...] = ("LABELLOOP", "FIFTYONE")

_BUILTIN_BACKENDS: dict[str, dict[str, Any]] = {
    "cvat": {
        "config_cls": "labelloop.cvat.backend.CVATBackendConfig",
        "url": "https://app.cvat.ai",
    },
}
_STRING_PARAMS = {"url", "config_cls", *SECRET_PARAMS} - {"headers"}


def is_secret(param: str) -> bool:
    """Whether a parameter name looks like a credential (masked when shown)."""
    return param in SECRET_PARAMS or any(w in param for w in ("password", "token", "secret"))


def _holds_secrets(data: dict[str, Any]) -> bool:
    backends = data.get("backends")
    if not isinstance(backends, Mapping):
        return False
    return any(
        is_secret(k) for params in backends.values() if isinstance(params, Mapping) for k in params
    )


def config_path() -> Path:
    """Where the annotation config file lives (it need not exist)."""
    for prefix in ENV_PREFIXES:
        path = os.environ.get(f"{prefix}_ANNOTATION_CONFIG_PATH")
        if path:
            return Path(path).expanduser()
    home = os.environ.get("LABELLOOP_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".labelloop"
    return base / "annotation_config.json"


def _env(name: str) -> str | None:
    """``LABELLOOP_<name>``, else ``FIFTYONE_<name>``, else ``None``."""
    for prefix in ENV_PREFIXES:
        value = os.environ.get(f"{prefix}_{name}")
        if value is not None:
            return value
    return None


def _parse_env_value(param: str, text: str) -> Any:
    """Env values are strings; numbers, booleans and JSON objects are decoded
    except for credentials and URLs, which stay verbatim."""
    if param in _STRING_PARAMS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def env_params(backend: str) -> dict[str, Any]:
    """Parameters set through ``<PREFIX>_<BACKEND>_<PARAM>`` variables (ours win)."""
    out: dict[str, Any] = {}
    for prefix in reversed(ENV_PREFIXES):  # ours overwrite the reference's
        head = f"{prefix}_{backend.upper()}_"
        for name, value in os.environ.items():
            if name.startswith(head) and len(name) > len(head):
                param = name[len(head) :].lower()
                out[param] = _parse_env_value(param, value)
    return out


class AnnotationConfig:
    """``default_backend`` and the ``backends`` dict (name -> parameters).

    A backend is added by configuration alone: give its entry a ``config_cls``
    (dotted path of an :class:`~labelloop.annotation.base.AnnotationBackendConfig`
    subclass), e.g. ``annotation_config.backends["mine"] = {"config_cls": "pkg.MyConfig"}``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = Path(path) if path is not None else None
        self.default_backend: str = "cvat"
        self.backends: dict[str, dict[str, Any]] = {}
        self.reload()

    @property
    def path(self) -> Path:
        """The file this config reads (explicit path, else :func:`config_path`)."""
        return self._path if self._path is not None else config_path()

    def reload(self) -> None:
        """Re-read defaults, the file and the environment, dropping in-memory changes."""
        data = self._read_file()
        backends = copy.deepcopy(_BUILTIN_BACKENDS)
        file_backends = data.get("backends") or {}
        if not isinstance(file_backends, Mapping):
            raise ValueError(f"'backends' in {self.path} must be an object of name -> parameters")
        for name, params in file_backends.items():
            if not isinstance(params, Mapping):
                raise ValueError(f"backends[{name!r}] in {self.path} must be an object")
            backends.setdefault(name, {}).update(params)
        for name in list(backends):
            backends[name].update(env_params(name))
        self.backends = backends
        self.default_backend = (
            _env("ANNOTATION_DEFAULT_BACKEND") or data.get("default_backend") or "cvat"
        )

    def _read_file(self) -> dict[str, Any]:
        path = self.path
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise ValueError(f"Annotation config {path} is not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise ValueError(f"Annotation config {path} must hold a JSON object")
        if os.name == "posix" and path.stat().st_mode & 0o077 and _holds_secrets(data):
            logger.warning(
                "Annotation config %s holds credentials and other users may read it; "
                "restrict it with: chmod 600 %s",
                path,
                path,
            )
        return data

    def backend_params(self, name: str) -> dict[str, Any]:
        """Backend ``name``'s parameters, completed by environment variables set since
        the config was loaded (``ValueError`` when the backend is unknown)."""
        env = env_params(name) if isinstance(name, str) and name.isidentifier() else {}
        if name not in self.backends and "config_cls" not in env:
            raise ValueError(
                f"Unknown annotation backend {name!r}; available backends are "
                f"{sorted(self.backends)}. Register one with "
                f"annotation_config.backends[{name!r}] = {{'config_cls': '<module.ConfigClass>'}} "
                f"or LABELLOOP_{str(name).upper()}_CONFIG_CLS"
            )
        params = dict(self.backends.get(name, {}))
        for key, value in env.items():
            params.setdefault(key, value)
        return params

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view with secret parameters masked."""
        return {
            "default_backend": self.default_backend,
            "backends": {
                name: {k: ("***" if is_secret(k) else v) for k, v in params.items()}
                for name, params in self.backends.items()
            },
        }

    def __repr__(self) -> str:
        return json.dumps(self.to_dict(), indent=4, default=str)


annotation_config = AnnotationConfig()


def resolve_credentials(
    backend: str,
    names: tuple[str, ...],
    kwargs: Mapping[str, Any],
    stored: Mapping[str, Any] | None = None,
    *,
    required: tuple[str, ...] = (),
    secret: tuple[str, ...] = ("password",),
) -> dict[str, Any]:
    """Credentials for ``backend``: kwargs > run/stored values > config (file/env) > prompt.

    ``required`` names still missing are asked for on a terminal (``secret``
    ones without echo); without a terminal a ``ValueError`` names the
    environment variables that would provide them.
    """
    params = annotation_config.backends.get(backend, {})
    out: dict[str, Any] = {}
    for name in names:
        value = kwargs.get(name)
        if value is None and stored:
            value = stored.get(name)
        if value is None:
            value = params.get(name)
        if value is None:
            env = _env(f"{backend.upper()}_{name.upper()}")
            value = _parse_env_value(name, env) if env is not None else None
        out[name] = value
    missing = [name for name in required if not out.get(name)]
    if missing:
        out.update(_prompt(backend, missing, secret))
    return out


def env_names(backend: str, params: list[str]) -> str:
    """``LABELLOOP_<BACKEND>_<PARAM>`` names for an error message."""
    return ", ".join(f"LABELLOOP_{backend.upper()}_{p.upper()}" for p in params)


def _prompt(backend: str, missing: list[str], secret: tuple[str, ...]) -> dict[str, str]:
    if not (sys.stdin and sys.stdin.isatty()):
        raise ValueError(
            f"Missing {', '.join(missing)} for the {backend!r} "
            "annotation backend and no terminal to ask on. Pass "
            f"{', '.join(f'{m}=...' for m in missing)}, set the environment variables "
            f"{env_names(backend, missing)}, or add them to backends[{backend!r}] in "
            f"{config_path()}"
        )
    logger.info(
        "Please enter your %s credentials; set %s to skip this prompt next time",
        backend,
        env_names(backend, missing),
    )
    out = {}
    for name in missing:
        label = f"{name.capitalize()}: "
        out[name] = getpass.getpass(label) if name in secret else input(label)
    return out
