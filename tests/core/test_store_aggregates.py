"""distinct / count_values / bounds answered by one SQL aggregate agree with a walk
over the samples, for every kind of attribute value the store can hold."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import labelloop as ll
from labelloop import ViewField as F


def _walk(collection, field: str, attr: str) -> list:
    """The unwound values of a label attribute, read sample by sample."""
    out = []
    for sample in collection.iter_samples():
        label = sample[field] if sample.has_field(field) else None
        for obj in label.detections if label is not None else []:
            value = obj[attr] if obj.has_field(attr) else None
            for leaf in value if isinstance(value, list) else [value]:
                if leaf is not None:
                    out.append(leaf)
    return out


@pytest.fixture
def mixed(dataset):
    values = [1, 2.5, -3, True, False, "zebra", "Äpfel", "apple", None, 7, 0.25]
    samples = []
    for i in range(12):
        dets = [
            ll.Detection(
                label=f"c{(i + k) % 3}",
                bounding_box=[0.01 * i, 0.02 * k, 0.1, 0.1],
                confidence=(i * 7 + k) % 10 / 10,
                score=values[(i + k) % len(values)],
                numeric=[-5, 1.5, 3][k % 3] * (i + 1),
            )
            for k in range(i % 4)
        ]
        samples.append(
            ll.Sample(
                f"/tmp/agg{i}.jpg",
                tags=["a"] if i % 2 else ["b"],
                det=ll.Detections(detections=dets),
            )
        )
    samples.append(ll.Sample("/tmp/agg-none.jpg"))
    dataset.add_samples(samples)
    return dataset


@pytest.mark.parametrize("attr", ["label", "confidence", "score", "bounding_box", "numeric"])
def test_distinct_and_count_values_match_a_walk(mixed, attr):
    path = f"det.detections.{attr}"
    walked = _walk(mixed, "det", attr)
    assert mixed.count_values(path) == dict(Counter(walked))
    assert mixed.distinct(path) == sorted(set(walked), key=lambda v: (str(type(v)), v))


@pytest.mark.parametrize("attr", ["label", "confidence", "bounding_box", "numeric"])
def test_bounds_match_a_walk(mixed, attr):
    walked = [v for v in _walk(mixed, "det", attr) if not isinstance(v, bool)]
    assert mixed.bounds(f"det.detections.{attr}") == (min(walked), max(walked))


def test_bounds_of_mixed_strings_and_numbers_still_raise(mixed):
    with pytest.raises(TypeError):
        mixed.bounds("det.detections.score")


def test_aggregates_on_filtered_views_match_a_walk(mixed):
    view = mixed.filter_labels("det", F("confidence") > 0.3)
    walked = _walk(view, "det", "label")
    assert view.count_values("det.detections.label") == dict(Counter(walked))
    assert view.distinct("det.detections.label") == sorted(set(walked))
    conf = _walk(view, "det", "confidence")
    assert view.bounds("det.detections.confidence") == (min(conf), max(conf))


def test_match_tags_values_and_count_read_tags_only(mixed):
    for tags, kwargs in ((["a"], {}), (["a"], {"bool": False}), (["a", "b"], {"all": True})):
        view = mixed.match_tags(tags, **kwargs)
        walked = [s.id for s in view.iter_samples()]
        assert view.values("id") == walked
        assert view.count() == len(walked)
        assert view.values("filepath") == [s.filepath for s in view.iter_samples()]
        chained = view.match_tags("b")
        assert chained.values("id") == [s.id for s in chained.iter_samples()]


def _numbers(values: list) -> list:
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


@pytest.mark.parametrize("attr", ["confidence", "score", "numeric", "label", "absent"])
def test_sum_mean_std_histogram_match_a_walk(mixed, attr):
    path = f"det.detections.{attr}"
    for view in (mixed, mixed.filter_labels("det", F("confidence") > 0.3)):
        numbers = _numbers(_walk(view, "det", attr))
        n = len(numbers)
        assert view.sum(path) == pytest.approx(sum(numbers))
        if not n:
            assert view.mean(path) is None and view.std(path) is None
            continue
        mean = sum(numbers) / n
        assert view.mean(path) == pytest.approx(mean)
        spread = sum((v - mean) ** 2 for v in numbers)
        assert view.std(path) == pytest.approx((spread / n) ** 0.5, abs=1e-9)
        if n > 1:
            assert view.std(path, sample=True) == pytest.approx((spread / (n - 1)) ** 0.5)
        counts, edges, other = view.histogram_values(path, bins=4, range=(-1, 2))
        assert len(edges) == 5 and edges[0] == -1 and edges[-1] == 2
        assert sum(counts) + other == n
        assert other == sum(1 for v in numbers if v < -1 or v > 2)


def test_sums_of_list_attributes_fall_back_to_the_walk(mixed, monkeypatch):
    path = "det.detections.bounding_box"
    coords = [c for box in mixed.values(path, unwind=False) for b in box or [] for c in b]
    assert mixed.sum(path) == pytest.approx(sum(coords))
    assert (
        mixed._dataset._store.label_sums(mixed._dataset._id, "det", False, True, "bounding_box")
        is None
    )


@pytest.fixture
def odd_hot(dataset):
    """``label``, ``confidence`` and ``index`` (read from their own columns) holding other
    kinds too: their rows are answered from the JSON document, the rest from the column."""
    odd = [None, 3, 1.0, "x", True, "cat", 0.5, 2, "Äpfel", False]
    dets = []
    for k in range(30):
        det = ll.Detection(bounding_box=[0, 0, 0.1, 0.1])
        if k % 7:
            det["label"] = odd[k % len(odd)]
        det["confidence"] = odd[(k + 3) % len(odd)]
        det["index"] = [1, 2.5, "3", None][k % 4]
        dets.append(det)
    dataset.add_samples(
        [ll.Sample(f"/tmp/odd{i}.jpg", det=ll.Detections(detections=dets[i::3])) for i in range(3)]
    )
    return dataset


@pytest.mark.parametrize("attr", ["label", "confidence", "index"])
def test_hot_attributes_of_any_kind_aggregate_as_a_walk(odd_hot, attr):
    path = f"det.detections.{attr}"
    walked = _walk(odd_hot, "det", attr)
    counts = odd_hot.count_values(path)
    assert counts == dict(Counter(walked))
    assert {type(k) for k in counts} == {type(v) for v in walked}  # 1.0 stays a float
    assert odd_hot.values(path) == [
        [d[attr] if d.has_field(attr) else None for d in s.det.detections]
        for s in odd_hot.iter_samples()
    ]
    numbers = _numbers(walked)
    assert odd_hot.sum(path) == pytest.approx(sum(numbers))
    assert odd_hot.mean(path) == pytest.approx(sum(numbers) / len(numbers))
    with pytest.raises(TypeError):  # strings and numbers: no order, as in Python
        odd_hot.bounds(path)
    high = odd_hot.filter_labels("det", F(attr) > 0.7)
    assert high.values(path, unwind=True) == [v for v in walked if _numbers([v]) and v > 0.7]


def _walk_lists(collection, field: str, attr: str) -> list:
    """Per sample, the attribute of each item of a label list field (``None``: no field)."""
    out = []
    for sample in collection.iter_samples():
        label = sample[field] if sample.has_field(field) else None
        if label is None:
            out.append(None)
            continue
        values = []
        for obj in label.detections:
            values.append(obj.id if attr == "id" else obj[attr] if obj.has_field(attr) else None)
        out.append(values)
    return out


@pytest.mark.parametrize(
    "attr", ["label", "confidence", "score", "numeric", "bounding_box", "id", "absent"]
)
def test_values_of_list_items_are_one_array_per_sample_as_a_walk(mixed, attr):
    many = ll.Detections(  # more than 10 items: order by position, not by text
        detections=[
            ll.Detection(label=f"n{k}", confidence=k / 20, score=[k, "x"]) for k in range(12)
        ]
    )
    mixed.add_sample(ll.Sample("/tmp/agg-many.jpg", det=many))
    mixed.add_sample(ll.Sample("/tmp/agg-empty.jpg", det=ll.Detections()))
    path = f"det.detections.{attr}"
    for view in (
        mixed,
        mixed.filter_labels("det", F("confidence") > 0.3, only_matches=False),
        mixed.filter_labels("det", F("label") == "c1"),
        mixed.filter_labels("det", F("confidence") > 2),
    ):
        assert view.values(path) == _walk_lists(view, "det", attr)


@pytest.mark.parametrize("attr", ["confidence", "score", "numeric", "index", "bounding_box"])
def test_histograms_count_as_numpy_does(mixed, attr):
    np = pytest.importorskip("numpy")
    mixed.add_sample(  # values on the edges of the bins
        ll.Sample(
            "/tmp/agg-edges.jpg",
            det=ll.Detections(
                detections=[ll.Detection(confidence=c, index=c) for c in (0.0, 0.25, 0.5, 1.0, 1)]
            ),
        )
    )
    path = f"det.detections.{attr}"
    for view in (mixed, mixed.filter_labels("det", F("confidence") > 0.3)):
        numbers = _numbers(view.values(path, unwind=True))
        for bins, range_ in ((4, None), (7, (-1, 2)), (3, (0.25, 0.5)), (2, (0.5, 0.5))):
            if not numbers and range_ is None:
                expected = np.histogram(np.array([], dtype=float), bins=bins, range=(0.0, 1.0))
            else:
                expected = np.histogram(np.array(numbers, dtype=float), bins=bins, range=range_)
            counts, edges, other = view.histogram_values(path, bins=bins, range=range_)
            assert counts == [int(c) for c in expected[0]]
            assert edges == [float(e) for e in expected[1]]
            assert other == len(numbers) - sum(counts)


def test_histograms_of_list_attributes_fall_back_to_the_walk(mixed):
    store, dataset_id = mixed._dataset._store, mixed._dataset._id
    assert store.label_histogram(dataset_id, "det", False, True, "bounding_box", [0, 1]) is None
    coords = [
        c
        for box in mixed.values("det.detections.bounding_box", unwind=False)
        for b in box or []
        for c in b
    ]
    counts, _, other = mixed.histogram_values("det.detections.bounding_box", bins=2, range=(0, 0.1))
    assert sum(counts) + other == len(coords)


#: Values the string column cannot hold (null, a number, a list, an object) or holding the
#: separators the database joins strings with, among ordinary strings.
_ODD_STRINGS = [None, 3, 2.5, ["a", 1], {"k": "v"}, "", "a\x1fb", "\x1e", "x,y", "Äpfel", "0"]
#: Numbers whose text the numeric column does not keep (the sign of 0.0, a float's
#: exponent), non-numbers, and numbers it keeps.
_ODD_NUMBERS = [0.0, -0.0, 1e-05, 1e16, 1.5e16, 10**17, 12345678901234567890, True, "0.5"]
_ODD_NUMBERS += [None, [1], 100.0, -2.5, 1e300, 2**53 + 1, 0, 7, 0.1]


@pytest.mark.parametrize("attr", ["label", "id", "index"])
def test_values_read_from_a_column_keep_every_value_as_the_documents_have_it(dataset, attr):
    """Per-sample lists of a hot attribute (or the id) equal the documents' own values, in
    list order, when some values are of another kind than the column's, lost by it, or hold
    a separator, among ordinary ones, in lists of every length."""

    def det(k: int, value: Any) -> ll.Detection:
        if attr == "index":
            return ll.Detection(label="c", index=value, confidence=k / 4)
        return ll.Detection(label=value, index=k, confidence=k / 4)

    odd = _ODD_NUMBERS if attr == "index" else _ODD_STRINGS
    samples = []
    for i in range(14):
        values: list[Any] = [f"c{(i + k) % 3}" if attr != "index" else i + k for k in range(i % 5)]
        if i % 3 == 1 and values:  # one odd value among ordinary ones
            values[i % len(values)] = odd[i % len(odd)]
        dets = [det(k, value) for k, value in enumerate(values)]
        samples.append(ll.Sample(f"/tmp/str{i}.jpg", det=ll.Detections(detections=dets)))
    many = [det(9, value) for value in odd] + [
        det(k % 4, f"n{k}" if attr != "index" else k * 0.5) for k in range(12)
    ]
    samples.append(ll.Sample("/tmp/str-many.jpg", det=ll.Detections(detections=many)))
    sep = [det(0, "p\x1fq" if attr != "index" else 2.5), det(3, "r" if attr != "index" else 3)]
    samples.append(ll.Sample("/tmp/str-sep.jpg", det=ll.Detections(detections=sep)))
    samples.append(ll.Sample("/tmp/str-empty.jpg", det=ll.Detections()))
    samples.append(ll.Sample("/tmp/str-none.jpg"))
    dataset.add_samples(samples)
    path = f"det.detections.{attr}"
    for view in (
        dataset,
        dataset.filter_labels("det", F("confidence") > 0.3, only_matches=False),
        dataset.filter_labels("det", F("confidence") < 0.5),
        dataset.filter_labels("det", F("confidence") > 2, only_matches=False),
    ):
        got, walked = view.values(path), _walk_lists(view, "det", attr)
        assert got == walked
        assert repr(got) == repr(walked)  # the same types and signs: 1 is not 1.0, nor -0.0 0.0


def test_values_of_an_attribute_most_labels_leave_unset_are_the_documents(dataset):
    """Most lists hold labels whose ``index`` is null (its column NULL), a few an int."""
    samples = [
        ll.Sample(
            f"/tmp/unset{i}.jpg",
            det=ll.Detections(
                detections=[
                    ll.Detection(label="a", index=k if i % 5 == 0 else None) for k in range(i % 4)
                ]
            ),
        )
        for i in range(20)
    ]
    dataset.add_samples(samples)
    for view in (dataset, dataset.filter_labels("det", F("label") == "a", only_matches=False)):
        got, walked = view.values("det.detections.index"), _walk_lists(view, "det", "index")
        assert repr(got) == repr(walked)


def test_documents_without_the_key_are_skipped_only_when_they_lack_it(dataset):
    """Aggregates skip, unparsed, the documents whose text lacks the attribute's key; a
    key only nested elsewhere, or differing in case or one character, is still read."""
    dets = [
        ll.Detection(label="a", sc_ore=5, attributes={"score": 9}),  # "score" only nested
        ll.Detection(label="b", Score=4),  # another case
        ll.Detection(label="c", score=2),
        ll.Detection(label="d", score="x"),
        ll.Detection(label="e", confidence=None, score=[3]),
        ll.Detection(label="f"),  # no score, no confidence
    ]
    dataset.add_sample(ll.Sample("/k/a.jpg", predictions=ll.Detections(detections=dets)))
    path = "predictions.detections"
    for attr in ("score", "sc_ore", "Score", "confidence"):
        walked = _walk(dataset, "predictions", attr)
        assert dataset.count_values(f"{path}.{attr}") == dict(Counter(walked)), attr
    assert Counter(_walk(dataset, "predictions", "score")) == {2: 1, "x": 1, 3: 1}
    assert dataset.bounds(f"{path}.sc_ore") == (5, 5)
    assert dataset.bounds(f"{path}.confidence") == (None, None)
    assert dataset.sum(f"{path}.sc_ore") == 5 and dataset.mean(f"{path}.Score") == 4
