"""Exit codes and one-line errors for every command.

``0`` success; ``1`` a user error (bad argument, unknown dataset or run,
missing credentials): one line saying what to change; ``2`` the server or the
network failed: one line saying what to check. Tracebacks appear only with
``labelloop --debug``.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import click
import httpx

from labelloop.cvat.errors import CVATAuthError, CVATError, CVATNotFound

logger = logging.getLogger(__name__)

USER_ERROR = 1
SERVER_ERROR = 2
INTERRUPTED = 130


class CLIError(click.ClickException):
    """A failure shown as one line, with the exit code that says whose fault it is."""

    def __init__(self, message: str, exit_code: int = USER_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _with_hint(message: str, hint: str) -> str:
    """``message (hint)`` unless the message already says what to check or do."""
    if _HAS_HINT.search(message):
        return message
    return f"{message} ({hint})"


_HAS_HINT = re.compile(r"\b(check|use|pass|set|add|give)\b", re.IGNORECASE)


def option_names(group: click.Group) -> dict[str, str]:
    """``{python keyword: --flag}`` over every command's options (``label_schema`` is
    ``--schema``), so library messages can name the flags a command-line user types."""
    names = {"label_schema": "--schema"}

    def walk(command: click.Command) -> None:
        for param in command.params:
            longs = [o for o in param.opts if o.startswith("--")]
            if isinstance(param, click.Option) and param.name and longs:
                names.setdefault(param.name, longs[0])
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(group)
    return names


def as_flags(message: str, flags: dict[str, str]) -> str:
    """Python keyword arguments in ``message`` (``label_field=...``, ``task_size``) as the
    command line's flags (``--label-field ...``, ``--task-size``)."""
    message = re.sub(r"label_schema\[('[^']*')\]", r"field \1", message)
    for name, flag in sorted(flags.items(), key=lambda kv: -len(kv[0])):
        message = re.sub(
            rf"(?<![\w.-]){re.escape(name)}=(\.\.\.)?",
            lambda m, flag=flag: f"{flag} ..." if m.group(1) else f"{flag} ",
            message,
        ).replace(f"{flag}  ", f"{flag} ")
        if "_" in name:
            message = re.sub(rf"(?<![\w.\'-]){re.escape(name)}(?![\w\'(])", flag, message)
    return message


def translate(err: BaseException, flags: dict[str, str] | None = None) -> CLIError:
    """The one-line error (and exit code) a library exception becomes; Python keyword
    arguments it names become the command line's flags."""
    error = _translate(err)
    error.message = as_flags(error.message, flags or {})
    return error


def _translate(err: BaseException) -> CLIError:
    if isinstance(err, CVATAuthError):
        return CLIError(
            _with_hint(
                f"the CVAT server refused the credentials or the permission: {err}",
                "check --username/--password (or LABELLOOP_CVAT_USERNAME/"
                "LABELLOOP_CVAT_PASSWORD), your token, and the organization",
            ),
            SERVER_ERROR,
        )
    if isinstance(err, CVATNotFound):
        return CLIError(
            _with_hint(str(err), "the task or project may have been deleted on the server"),
            SERVER_ERROR,
        )
    if isinstance(err, CVATError):
        return CLIError(
            _with_hint(str(err), "check that the CVAT server is running and reachable at its URL"),
            SERVER_ERROR,
        )
    if isinstance(err, httpx.HTTPError):
        return CLIError(
            _with_hint(
                f"network error: {type(err).__name__}: {err}",
                "check the server URL and that the server is running",
            ),
            SERVER_ERROR,
        )
    if isinstance(err, KeyError) and err.args:
        return CLIError(str(err.args[0]))
    if isinstance(err, (ValueError, KeyError, TypeError, FileNotFoundError, PermissionError)):
        return CLIError(str(err) or type(err).__name__)
    return CLIError(
        f"unexpected {type(err).__name__}: {err} (rerun with 'labelloop --debug ...' for the "
        "traceback)"
    )


class LabelloopGroup(click.Group):
    """A click group that turns exceptions into exit codes 1/2 and one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise
        except Exception as err:
            if (ctx.obj or {}).get("debug"):
                raise
            raise translate(err, option_names(self)) from err

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as err:
            err.show()
            sys.exit(USER_ERROR)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(rv if isinstance(rv, int) else 0)
