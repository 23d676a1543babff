"""Python regular expressions as PostgreSQL's (POSIX ARE), where both match alike.

``re.search`` and PostgreSQL's ``~`` agree on literal characters, ``[...]``
classes of literal characters and ranges, groups, alternation and
quantifiers. They differ elsewhere: Python's ``.`` skips a newline, its ``$``
also matches before a final newline, ``\\b`` is a word boundary in Python
and a backspace in PostgreSQL, ``\\d``/``\\w``/``\\s`` follow Unicode in
Python and the locale in PostgreSQL. :func:`to_posix` rewrites ``.`` and
``$`` to what Python means and refuses the rest (``None``), so a pattern is
either matched exactly in SQL or left to Python.
"""

from __future__ import annotations

import re

_SPECIAL = set("\\^$.|?*+()[]{}")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
_QUANTIFIER = re.compile(r"\{(\d{1,3})(,(\d{1,3})?)?\}\??")


def _literal(char: str) -> str:
    """One character matched literally by an ARE (escaped unless alphanumeric)."""
    if char.isalnum() or char in " \n\t" or ord(char) > 127:
        return char
    return "\\" + char


def _escape(pattern: str, i: int) -> tuple[str, int] | None:
    """The character a Python escape at ``pattern[i] == '\\\\'`` stands for (literal ones
    only), and the index after it."""
    if i + 1 >= len(pattern):
        return None
    char = pattern[i + 1]
    if char in _ESCAPES:
        return _ESCAPES[char], i + 2
    if char.isalnum() or char == "_":
        return None  # \\d, \\w, \\b, \\A, back references ...: not alike in both
    return char, i + 2


def _bracket(pattern: str, i: int) -> tuple[str, int] | None:
    """A ``[...]`` class starting at ``i`` as an ARE class, and the index after it."""
    out = ["["]
    i += 1
    if i < len(pattern) and pattern[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        char = pattern[i]
        if char == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        if char == "\\":
            found = _escape(pattern, i)
            if found is None:
                return None
            char, i = found
        elif char == "[" or pattern.startswith(("&&", "--", "||", "~~"), i):
            return None  # set operations Python warns about
        else:
            i += 1
        if pattern.startswith("-", i) and i + 1 < len(pattern) and pattern[i + 1] != "]":
            end = pattern[i + 1]
            if not (char.isascii() and char.isalnum() and end.isascii() and end.isalnum()):
                return None
            out.append(f"{char}-{end}")
            i += 2
        else:
            out.append(_literal(char))
        first = False
    return None


def to_posix(pattern: str) -> str | None:
    """An ARE matching exactly where ``re.search(pattern, value)`` does, or ``None``."""
    try:
        re.compile(pattern)
    except re.error:
        return None  # Python raises: let it
    if re.search(r"[*+?}][+]", pattern):
        return None  # possessive quantifiers (or an escaped character before +: rare, Python)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            found = _escape(pattern, i)
            if found is None:
                return None
            out.append(_literal(found[0]))
            i = found[1]
        elif char == "[":
            found = _bracket(pattern, i)
            if found is None:
                return None
            out.append(found[0])
            i = found[1]
        elif char == "{":
            match = _QUANTIFIER.match(pattern, i)
            if match is None or int(match.group(3) or match.group(1)) > 255:
                return None  # Python reads a stray brace literally; ARE caps repeats at 255
            out.append(match.group(0))
            i = match.end()
        elif char == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                return None  # flags, look-arounds, named groups
            out.append("(?:" if pattern.startswith("(?:", i) else "(")
            i += 3 if pattern.startswith("(?:", i) else 1
        elif char == ".":
            out.append("[^\\n]")
            i += 1
        elif char == "$":
            out.append("(?=\\n?$)")
            i += 1
        else:
            out.append(char if char in _SPECIAL else _literal(char))
            i += 1
    return "".join(out)
