"""Labels of types the schema did not ask for: each ``unexpected`` mode."""

from __future__ import annotations

import io

import pytest

import labelloop as ll
from tests.annotation.datasets import digest
from tests.annotation.memory_backend import SERVER


def _add_wrong_types(dataset, key: str) -> dict:
    """Put polylines and a tag into the detections field of two samples."""
    a, b = dataset.head(2)
    line = ll.Polyline(label="road", points=[[(0.1, 0.1), (0.9, 0.9)]])
    tag = ll.Classification(label="night")
    SERVER[key]["unexpected"]["ground_truth"] = {
        "polylines": {a.id: {line.id: line}},
        "classifications": {b.id: {tag.id: tag}},
    }
    return {"line": line, "tag": tag, "a": a.id, "b": b.id}


@pytest.fixture
def run(dataset):
    dataset.annotate("r", label_field="ground_truth", backend="memory")
    return _add_wrong_types(dataset, "r")


def test_ignore(dataset, run):
    before = digest(dataset)
    report = dataset.load_annotations("r", unexpected="ignore")
    assert digest(dataset) == before
    assert report.unexpected["ground_truth"]["polylines"] == {"labels": 1, "action": "ignored"}


def test_keep_stores_them_in_fields_named_after_their_type_once(dataset, run):
    dataset.load_annotations("r", unexpected="keep")
    assert dataset[run["a"]].polylines.polylines[0].id == run["line"].id
    assert dataset[run["b"]].classifications.classifications[0].label == "night"
    once = digest(dataset)
    dataset.load_annotations("r", unexpected="keep")
    assert digest(dataset) == once  # upserted by id, not added twice


def test_return_hands_them_back(dataset, run):
    before = digest(dataset)
    got = dataset.load_annotations("r", unexpected="return")
    assert set(got["ground_truth"]) == {"polylines", "classifications"}
    assert got["ground_truth"]["polylines"][run["a"]][run["line"].id].label == "road"
    assert digest(dataset) == before
    SERVER["r"]["unexpected"].clear()
    assert dataset.load_annotations("r", unexpected="return") is None


def test_dict_and_list_forms(dataset, run):
    dataset.load_annotations("r", unexpected={"polylines": "roads"})
    assert dataset[run["a"]].roads.polylines[0].label == "road"
    assert not dataset.has_field("classifications")
    dataset.load_annotations("r", unexpected=["classifications"])
    assert dataset[run["b"]].classifications.classifications[0].label == "night"
    assert not dataset.has_field("polylines")


def test_prompt_needs_a_terminal(dataset, run, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    before = digest(dataset)
    with pytest.raises(ValueError, match="unexpected='ignore'"):
        dataset.load_annotations("r")
    assert digest(dataset) == before


def test_prompt_on_a_terminal_re_asks_until_the_answer_fits(dataset, run, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    answers = iter(["ground_truth", "count", "roads", ""])
    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    report = dataset.load_annotations("r")
    assert dataset[run["a"]].roads.polylines[0].label == "road"  # after two refused answers
    assert report.unexpected["ground_truth"]["classifications"]["action"] == "ignored"


def test_additions_forbidden_means_unexpected_labels_are_refused(dataset):
    dataset.annotate("r", label_field="ground_truth", backend="memory", allow_additions=False)
    _add_wrong_types(dataset, "r")
    report = dataset.load_annotations("r", unexpected="keep")
    assert report.unexpected["ground_truth"]["polylines"]["action"].startswith("refused")
    assert not dataset.has_field("polylines")


@pytest.mark.parametrize(
    "mode, words",
    [
        ("sometimes", ["unexpected", "sometimes"]),
        ({"boxes": "f"}, ["boxes"]),
        ({"polylines": 3}, ["unexpected['polylines']"]),
        (["polylines", "cuboids"], ["cuboids"]),
        (5, ["unexpected must be"]),
    ],
)
def test_invalid_modes_are_refused_before_downloading(dataset, mode, words):
    dataset.annotate("r", label_field="ground_truth", backend="memory")
    SERVER["r"]["fail_after"] = 0  # any download would raise ConnectionError
    with pytest.raises(ValueError) as info:
        dataset.load_annotations("r", unexpected=mode)
    for word in words:
        assert word in str(info.value)
