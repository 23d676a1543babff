"""Expressions: the store's compiled filters agree with the Python evaluator."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Detection, Detections
from labelloop.store.sqlregex import to_posix
from tests.core.strategies import logic_of

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["a", "b", "c", ""]),
)
attrs = st.sampled_from(["confidence", "label", "score"])
TAGS = st.sampled_from(["a", "b", "x y", "é", '"q"', "1"])


def _comparison(draw_attr, literal, op):
    return _comparison_of(F(draw_attr), literal, op)


def _comparison_of(field, literal, op):
    return {
        "==": field == literal,
        "!=": field != literal,
        "<": field < literal,
        "<=": field <= literal,
        ">": field > literal,
        ">=": field >= literal,
    }[op]


arith_ops = st.sampled_from(["+", "-", "*", "/", "%", "**"])
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.0]), st.booleans())


def _arith(expr, op, k):
    return {
        "+": lambda: expr + k,
        "-": lambda: k - expr,
        "*": lambda: expr * k,
        "/": lambda: expr / k if k else k / expr,
        "%": lambda: expr % k,
        "**": lambda: expr**k,
    }[op]()


compared = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def _arithmetic_compared(results):
    """``F(attr) <op> k`` compared with one of ``results``."""
    return st.builds(
        lambda a, op, k, c, v: _comparison_of(_arith(F(a), op, k), v, c),
        attrs,
        arith_ops,
        numbers,
        compared,
        results,
    )


leaf = st.one_of(
    # arithmetic (incl. booleans as numbers, None, strings and division by zero)
    _arithmetic_compared(st.one_of(st.integers(-3, 3), st.floats(-2, 2), st.booleans())),
    st.builds(lambda a, v: -(F(a) + 0) > v, attrs, st.integers(-2, 2)),
    st.builds(lambda a, v: abs(F(a) - 1) <= v, attrs, st.integers(-1, 2)),
    # strings
    st.builds(
        lambda a, p, cs, end: (F(a).ends_with if end else F(a).starts_with)(p, case_sensitive=cs),
        attrs,
        st.one_of(st.sampled_from(["a", "", "B", "Ä"]), st.lists(st.sampled_from(["b", "c"]))),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        lambda a, p, o: F(a).re_match(p, o),
        attrs,
        st.sampled_from(["^a", "b$", "a|c", "[ab]+", "^.$", "x?y*", r"\.", "(a|B)", "[^a]"]),
        st.sampled_from([None, "i"]),
    ),
    st.builds(lambda a, v: F(a).lower() == v, attrs, st.sampled_from(["a", "b", None, 1])),
    st.builds(lambda a, v: F(a).upper() != v, attrs, st.sampled_from(["A", "", None])),
    st.builds(lambda a, v: F(a).strlen() >= v, attrs, st.integers(0, 2)),
    st.builds(lambda a, v: F(a).strlen() == v, attrs, st.sampled_from([None, 0, 1])),
    # one of several kinds; nested attributes (through an object or a list)
    st.builds(lambda a: F(a).is_in([None, 1, "a", True]), attrs),
    st.builds(
        lambda v, c: _comparison_of(F("attributes.x"), v, c),
        st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["a", True])),
        compared,
    ),
    st.builds(lambda b: F("attributes.x").exists(b), st.booleans()),
    st.builds(lambda b: F("attributes").exists(b), st.booleans()),
    st.builds(
        _comparison,
        attrs,
        st.one_of(st.integers(-3, 3), st.floats(-2, 2), st.sampled_from(["a", "b"]), st.none()),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    ),
    st.builds(lambda a, vs: F(a).is_in(vs), attrs, st.lists(st.integers(-3, 3), min_size=1)),
    st.builds(lambda a, vs: F(a).is_in(vs), attrs, st.lists(st.sampled_from("abc"), min_size=1)),
    st.builds(lambda a, b: F(a).exists(b), attrs, st.booleans()),
    # a list attribute holding any (all) of some strings: tags, and one that is not always
    # a list (a string, an object, numbers)
    st.builds(
        lambda a, vs, b: F(a).contains(vs, all=b),
        st.sampled_from(["tags", "kinds", "label"]),
        st.one_of(TAGS, st.lists(TAGS, min_size=1, max_size=3)),
        st.booleans(),
    ),
)
exprs = logic_of(leaf, max_leaves=6)
nested = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"x": values}),
    st.lists(st.fixed_dictionaries({"x": values}), max_size=2),
)
labels = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "confidence": values,
            "label": values,
            "score": values,
            "attributes": nested,
            "tags": st.lists(TAGS, max_size=3),
            "kinds": st.one_of(
                values,
                st.lists(st.one_of(TAGS, st.integers(0, 1)), max_size=3),
                st.fixed_dictionaries({"a": TAGS}),
            ),
        },
    ),
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expr=exprs, dets=labels)
def test_compiled_and_python_filters_agree(dataset, expr, dets):
    dataset.clear()
    dataset.add_sample(
        ll.Sample("/x.jpg", predictions=Detections(detections=[Detection(**d) for d in dets]))
    )
    store = dataset._store
    if not store.can_compile(expr._serialize()):  # PostgreSQL leaves some forms to Python
        assert store.dialect.name == "postgresql", expr
    compiled = dataset.filter_labels("predictions", expr, only_matches=False)
    # the same condition made uncompilable (if_else is evaluated in Python only)
    python = dataset.filter_labels(
        "predictions", expr | F("label").if_else(False, False), only_matches=False
    )
    fast = compiled.values("predictions.detections.id")
    slow = python.values("predictions.detections.id")
    assert fast == slow
    assert compiled.count("predictions.detections") == len(slow[0])


maybe_leaf = st.one_of(
    leaf,
    # Python's answer may be a string ("a" * 1 == "a") or complex: SQL leaves these to Python
    _arithmetic_compared(st.sampled_from(["a", "", None])),
    st.builds(lambda a, k, b: (F(a) ** k).exists(b), attrs, numbers, st.booleans()),
    st.builds(lambda a, k: (F(a) ** 0.5) != k, attrs, st.sampled_from([None, 1])),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expr=logic_of(maybe_leaf, max_leaves=4), dets=labels)
def test_forms_sql_may_leave_to_python_agree(dataset, expr, dets):
    dataset.clear()
    dataset.add_sample(
        ll.Sample("/x.jpg", predictions=Detections(detections=[Detection(**d) for d in dets]))
    )
    compiled = dataset.filter_labels("predictions", expr, only_matches=False)
    python = dataset.filter_labels(
        "predictions", expr | F("label").if_else(False, False), only_matches=False
    )
    assert compiled.values("predictions.detections.id") == python.values(
        "predictions.detections.id"
    )


PATTERNS = [
    "cat$",
    "^cat",
    "c.t",
    "a.b",
    r"a\.b",
    "[a-c]+$",
    "[^a]",
    "(?:ca|do)g?",
    "a{2}",
    "a{1,}b",
    "x|",
    "^$",
    r"\n",
    "[.]",
    "t$\n",
    "Ä",
    r"\d",
    r"\bcat",
    "(?i)cat",
    "a{x",
    "[]a]",
    "a*?b",
]


def test_regular_expressions_match_as_python(dataset):
    """Each pattern is matched in SQL exactly as re.search does, or left to Python."""
    texts = ["cat", "cat\n", "a.b", "axb", "ab\nc", "Ä", "aa", "ab", "", "x", "dog", "Cat", "]"]
    dets = [Detection(label=t) for t in texts]
    dataset.add_sample(ll.Sample("/x.jpg", predictions=Detections(detections=dets)))
    for pattern in PATTERNS:
        for options in (None, "i"):
            expr = F("label").re_match(pattern, options)
            sql = dataset._store.dialect.name == "sqlite" or (
                options is None and to_posix(pattern) is not None
            )
            assert dataset._store.can_compile(expr._serialize()) == sql, pattern
            compiled = dataset.filter_labels("predictions", expr).values(
                "predictions.detections.label"
            )
            expected = [t for t in texts if re.search(pattern, t, re.I if options else 0)]
            assert compiled == ([expected] if expected else []), (pattern, options)
