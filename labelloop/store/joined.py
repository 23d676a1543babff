"""Per-sample lists from the few long texts a database joined them into.

Building one JSON array per sample costs the database more than joining every sample's
values into one text (PostgreSQL, 100k samples x 10 labels: 1.1 s against 0.45 s); these
functions split such texts back into lists, Python's ``str.split`` being the fastest
reader of them. See ``LabelAggregates.label_lists``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
from typing import Any

from labelloop.collector import collector_paused
from labelloop.store import codec
from labelloop.store.dialect import TEXT_SEPARATOR

#: Separates the samples' positions in ``joined_lists`` (record separator).
_SAMPLES = "\x1e"


@functools.lru_cache(maxsize=256)
def _run(count: int) -> str:
    """The positions text of a whole list of ``count`` items in order."""
    return TEXT_SEPARATOR.join(map(str, range(count)))


def joined_lists(
    ids: str | None,
    counts: str | None,
    texts: str | None,
    positions: str | None,
    numbers: bool = False,
    in_order: bool = False,
) -> dict[str, list[Any]] | None:
    """``{sample id: its values in position order}`` from the texts that ``label_lists``
    joins: the samples' ids and item counts, all their values (sample after sample: texts,
    or JSON numbers with ``numbers``), and the positions of the items of each sample that
    has any. A sample's values and positions are joined in the same row order, which SQL
    leaves unspecified: sorted here when it is not the positions' own (unless
    ``in_order``: each sample's values are joined in order). ``None`` when the ids or
    values do not split into one per sample or item (a separator inside)."""
    if ids is None:
        return {}
    n = list(map(int, counts.split(TEXT_SEPARATOR)))  # type: ignore[union-attr]
    samples = ids.split(TEXT_SEPARATOR)
    if texts is None:
        values: list[Any] = []
    elif numbers:
        values = codec.loads("[" + texts.replace(TEXT_SEPARATOR, ",") + "]")
    else:
        values = texts.split(TEXT_SEPARATOR)
    if len(values) != sum(n) or len(samples) != len(n):
        return None
    starts = list(itertools.accumulate(n, initial=0))
    with collector_paused():  # 100k new lists: the collector's passes cost 4x the slicing
        lists = [values[a:b] for a, b in zip(starts, starts[1:])]
    ordered = in_order or (positions or "") == _SAMPLES.join(_run(c) for c in n if c)
    if not ordered:  # filtered or unordered
        _sort_by_position(lists, positions or "")
    return dict(zip(samples, lists))


def _sort_by_position(lists: list[list[Any]], positions: str) -> None:
    """Sort by position the lists whose items came out of order, given the positions
    text of ``joined_lists`` (the non-empty lists' positions, in the same order)."""
    flat = list(map(int, positions.replace(_SAMPLES, TEXT_SEPARATOR).split(TEXT_SEPARATOR)))
    filled = [i for i, values in enumerate(lists) if values]
    starts = list(itertools.accumulate((len(lists[i]) for i in filled), initial=0))
    # a position not above the one before it, but at a list's first item
    steps = map(operator.sub, flat[1:], flat[:-1])
    late = {k + 1 for k, step in enumerate(steps) if step <= 0}.difference(starts)
    for j in {bisect.bisect_right(starts, k) - 1 for k in late}:
        order = flat[starts[j] : starts[j + 1]]
        values = lists[filled[j]]
        lists[filled[j]] = [v for _, v in sorted(zip(order, values), key=lambda pair: pair[0])]
