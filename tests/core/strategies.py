"""Hypothesis strategies shared by the expression tests."""

from __future__ import annotations

from hypothesis import strategies as st


def logic_of(leaf: st.SearchStrategy, max_leaves: int) -> st.SearchStrategy:
    """Trees of ``&``, ``|`` and ``~`` over ``leaf`` expressions."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a, b: a & b, inner, inner),
            st.builds(lambda a, b: a | b, inner, inner),
            st.builds(lambda a: ~a, inner),
        ),
        max_leaves=max_leaves,
    )
