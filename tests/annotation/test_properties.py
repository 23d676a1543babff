"""Property-based merges: any annotator edit script under any restriction flags."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelloop as ll
from tests.annotation.datasets import digest
from tests.annotation.memory_backend import SERVER

CLASSES = ["a", "b", "c"]
FLAGS = ("allow_additions", "allow_deletions", "allow_label_edits", "allow_spatial_edits")

box = st.lists(st.integers(0, 50).map(lambda v: v / 100), min_size=4, max_size=4)
detection = st.builds(
    lambda label, bbox, level: ll.Detection(
        label=label, bounding_box=bbox, level=level, extra="not-in-schema"
    ),
    st.sampled_from(CLASSES),
    box,
    st.integers(0, 3),
)
edit = st.one_of(
    st.just(("delete",)),
    st.tuples(st.just("relabel"), st.sampled_from(CLASSES)),
    st.tuples(st.just("move"), box),
    st.tuples(st.just("level"), st.integers(0, 9)),
    st.just(("keep",)),
)
sample_script = st.tuples(
    st.lists(detection, max_size=3),  # existing labels
    st.lists(edit, min_size=3, max_size=3),  # one edit per existing label (extra ones unused)
    st.lists(detection, max_size=2),  # additions
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scripts=st.lists(sample_script, min_size=1, max_size=3),
    flags=st.fixed_dictionaries({flag: st.booleans() for flag in FLAGS}),
)
def test_any_edit_script_merges_by_the_rules(image_paths, scripts, flags):
    dataset = ll.Dataset()
    try:
        dataset.add_samples(
            ll.Sample(filepath=image_paths[i], gt=ll.Detections(detections=dets))
            for i, (dets, _, _) in enumerate(scripts)
        )
        key = "prop"
        dataset.annotate(key, label_field="gt", classes=CLASSES, backend="memory", **flags)
        original = {d.id: d for s in dataset for d in s.gt.detections}
        server = SERVER[key]["labels"]["gt"]
        expect = {"added": 0, "deleted": 0, "edited": 0}
        refused: dict[str, int] = {}
        for sample, (_, edits, additions) in zip(dataset, scripts):
            labels = server[sample.id]
            for det, op in zip(list(sample.gt.detections), edits):
                _apply(labels, det.id, op, flags, expect, refused)
            for new in additions:
                labels[new.id] = new.copy()
                _count(flags["allow_additions"], "added", "addition", expect, refused)
        before = digest(dataset)
        dry = dataset.load_annotations(key, dry_run=True)
        assert digest(dataset) == before
        report = dataset.load_annotations(key, unexpected="ignore")
        assert report.to_dict()["fields"] == dry.to_dict()["fields"]
        assert report.fields["gt"].to_dict() == {**expect, "refused": refused}
        merged = {d.id: d for s in dataset for d in s.gt.detections}
        for label_id, det in merged.items():
            if label_id in original:
                old = original[label_id]
                assert det.extra == "not-in-schema"
                if not flags["allow_label_edits"]:
                    assert det.label == old.label
                if not flags["allow_spatial_edits"]:
                    assert det.bounding_box == old.bounding_box
            else:
                assert flags["allow_additions"]
        if not flags["allow_deletions"]:
            assert set(original) <= set(merged)
        settled = digest(dataset)
        dataset.load_annotations(key, unexpected="ignore")
        assert digest(dataset) == settled
    finally:
        SERVER.clear()
        dataset.delete()


def _apply(
    labels: dict, label_id: str, op: tuple, flags: dict, expect: dict, refused: dict
) -> None:
    """Play one annotator edit and predict what the merge must count."""
    if op[0] == "delete":
        del labels[label_id]
        _count(flags["allow_deletions"], "deleted", "deletion", expect, refused)
        return
    det = labels[label_id]
    if op[0] == "relabel" and op[1] != det.label:
        det["label"] = op[1]
        _count(flags["allow_label_edits"], "edited", "label edit", expect, refused)
    elif op[0] == "move" and op[1] != det.bounding_box:
        det["bounding_box"] = op[1]
        _count(flags["allow_spatial_edits"], "edited", "spatial edit", expect, refused)
    elif op[0] == "level" and op[1] != det.level:
        det["level"] = op[1]  # attribute edits are never restricted
        expect["edited"] += 1


def _count(allowed: bool, key: str, reason: str, expect: dict, refused: dict) -> None:
    if allowed:
        expect[key] += 1
    else:
        refused[reason] = refused.get(reason, 0) + 1
