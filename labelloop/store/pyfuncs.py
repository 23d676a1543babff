"""Python's semantics as SQL functions, registered on every SQLite connection.

:class:`~labelloop.store.sqlite_dialect.SQLiteDialect` compiles ``%``, ``**``,
``lower()``/``upper()`` and ``re_match`` to these, so SQLite answers exactly as
the Python evaluator (:mod:`labelloop.core.expressions`) does: floor modulo,
``None`` for division by zero and for complex powers, Unicode case mapping,
``re.search``.
"""

from __future__ import annotations

import math
import re
from typing import Any


def _number(value: Any) -> Any:
    """A Python result as SQLite stores it (integers beyond 64 bits as floats)."""
    if isinstance(value, complex):
        return None  # Python answers a complex number: never equal or ordered to a number
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    return value


def _mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return _number(a % b)
    except ZeroDivisionError:
        return None


def _pow(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return _number(a**b)
    except ZeroDivisionError:
        return None


def _search(pattern: str, options: str, value: Any) -> int:
    if not isinstance(value, str):
        return 0
    flags = re.IGNORECASE if "i" in options else 0
    return int(re.search(pattern, value, flags) is not None)


#: Functions :class:`SQLiteDialect` calls: name -> (number of arguments, function).
SQLITE_FUNCTIONS = {
    "py_mod": (2, _mod),
    "py_pow": (2, _pow),
    "py_lower": (1, lambda v: v.lower() if isinstance(v, str) else None),
    "py_upper": (1, lambda v: v.upper() if isinstance(v, str) else None),
    "py_search": (3, _search),
}
