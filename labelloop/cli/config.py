"""``labelloop config``: the effective annotation configuration, and setting values in its file."""

from __future__ import annotations

import difflib
import json
import os
from typing import Any

import click

from labelloop.cli.errors import CLIError
from labelloop.cli.output import console, setup_logging

_STRING_KEYS = {"url", "username", "password", "email", "token", "access_token", "api_key"}


@click.group("config")
def config() -> None:
    """The annotation configuration (file, environment, defaults)."""


@config.command("show")
@click.pass_context
def show(ctx: click.Context) -> None:
    """Print the effective annotation configuration as JSON, secrets masked."""
    from labelloop.annotation.config import AnnotationConfig

    setup_logging(ctx)
    effective = AnnotationConfig()  # a fresh read of defaults, file and environment
    data = {"config_file": str(effective.path), **effective.to_dict()}
    click.echo(json.dumps(data, indent=2, default=str))


def _key_path(key: str) -> list[str]:
    """``default_backend`` | ``BACKEND.PARAM`` | ``backends.BACKEND.PARAM``."""
    parts = key.split(".")
    if parts == ["default_backend"]:
        return parts
    if parts[0] == "backends":
        parts = parts[1:]
    if len(parts) != 2 or not all(parts):
        raise CLIError(f"unknown key {key!r}: use default_backend or BACKEND.PARAM, e.g. cvat.url")
    return ["backends", *parts]


def _value(param: str, text: str) -> Any:
    if param in _STRING_KEYS or param == "default_backend":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _check_param(backend: str, param: str, value: Any) -> None:
    """Refuse a parameter the backend does not take, or a value it refuses, before the
    file is written (else every later run would fail on it)."""
    from labelloop.annotation.classpath import import_class
    from labelloop.annotation.config import AnnotationConfig
    from labelloop.annotation.registry import backend_parameters

    if param == "config_cls":
        return
    entry = AnnotationConfig().backends.get(backend, {})
    config_cls_path = entry.get("config_cls")
    if not config_cls_path:
        raise CLIError(
            f"unknown backend {backend!r}: set {backend}.config_cls to its config class first "
            f"(configured backends: {', '.join(sorted(AnnotationConfig().backends))})"
        )
    try:
        config_cls = import_class(config_cls_path, f"config_cls of backend {backend!r}")
    except ValueError as err:
        raise CLIError(str(err)) from None
    accepted = sorted(backend_parameters(config_cls) - {"name", "label_schema"})
    if param not in accepted:
        close = difflib.get_close_matches(param, accepted, n=1)
        hint = f"did you mean {backend}.{close[0]}? " if close else ""
        raise CLIError(
            f"{backend!r} has no parameter {param!r}; {hint}its parameters are: "
            f"{', '.join(accepted)}"
        )
    try:
        config_cls(backend, None, **{param: value})
    except ValueError as err:
        raise CLIError(f"{backend}.{param} = {value!r}: {err}") from None
    except TypeError:  # the class needs other parameters to be built; the name is known
        pass


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
def set_cmd(ctx: click.Context, key: str, value: str) -> None:
    """Set KEY (default_backend or BACKEND.PARAM, e.g. cvat.url) to VALUE in the config file.

    VALUE is read as JSON when it parses (numbers, true/false, lists), else as
    text; URLs and credentials are always text. The file is written with
    permissions 0600 because it may hold credentials.
    """
    from labelloop.annotation.config import config_path

    setup_logging(ctx)
    path_keys = _key_path(key)
    parsed = _value(path_keys[-1], value)
    if path_keys[0] == "backends":
        _check_param(path_keys[1], path_keys[2], parsed)
    path = config_path()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise CLIError(f"{path} is not valid JSON ({err}); fix or remove it first") from None
        if not isinstance(data, dict):
            raise CLIError(f"{path} must hold a JSON object; fix or remove it first")
    node = data
    for part in path_keys[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise CLIError(f"{'.'.join(path_keys[:-1])} in {path} is not an object")
        node = child
    node[path_keys[-1]] = parsed
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=4)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    secret = path_keys[-1] in _STRING_KEYS - {"url"}
    shown = "***" if secret else json.dumps(node[path_keys[-1]])
    console.print(
        f"Set {'.'.join(path_keys[1:] if path_keys[0] == 'backends' else path_keys)} = {shown} in {path}"
    )
