"""Class colours shared by the server and the page.

The page colours every class by hashing its name (``static/draw.js`` holds the
same function), so a class keeps its colour across fields, pages and sessions
without the server sending a palette. The server needs the same colours to
paint semantic masks and the tests need them to find boxes in screenshots.
"""

from __future__ import annotations


def name_hash(name: str) -> int:
    """32-bit FNV-1a over the UTF-16 code units of ``name`` (what JavaScript sees).

    A final avalanche step (MurmurHash3's) spreads similar short names such
    as ``cat`` and ``car`` over distant hues.
    """
    h = 0x811C9DC5
    data = name.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def color_for(name: str) -> tuple[int, int, int]:
    """The RGB colour of class ``name``: a hue from its hash, fixed saturation and lightness."""
    hue = name_hash(str(name)) % 360
    return hsl_to_rgb(hue, 0.85, 0.55)


def hsl_to_rgb(hue: float, sat: float, light: float) -> tuple[int, int, int]:
    """HSL (hue in degrees) to 8-bit RGB, rounding like ``draw.js``."""
    chroma = (1 - abs(2 * light - 1)) * sat
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    m = light - chroma / 2
    sector = int(hue // 60) % 6
    r, g, b = [
        (chroma, x, 0),
        (x, chroma, 0),
        (0, chroma, x),
        (0, x, chroma),
        (x, 0, chroma),
        (chroma, 0, x),
    ][sector]
    return (round((r + m) * 255), round((g + m) * 255), round((b + m) * 255))
