"""A track split and a track merge made by the annotator: ids kept, indices that do not collide."""

from __future__ import annotations

from tests.cvat_video.helpers import (
    annotator,
    box,
    boxes,
    credentials,
    first_job,
    frame_labels,
    video_dataset,
)

FRAMES = 10


def _label_ids(dataset):
    return {n: {d.index: d.id for d in ds} for n, ds in frame_labels(dataset).items()}


def _merge_all_tracks(person, job, before) -> int:
    """CVAT's merge of every track of the job: one track through all their keyframes,
    carrying the label ids along. Returns how many tracks were merged."""
    tracks = person.annotations(job)["tracks"]
    shapes = sorted(
        (s for t in tracks for s in t["shapes"] if not s["outside"]), key=lambda s: s["frame"]
    )
    person.delete_shapes(job, [t["id"] for t in tracks], kind="tracks")
    person.add_track(
        job,
        label="car",
        shapes=[
            {
                "frame": s["frame"],
                "points": s["points"],
                "attributes": {"label_id": next(iter(before[s["frame"] + 1].values()))},
            }
            for s in shapes
        ],
    )
    return len(tracks)


def test_split_track_keeps_ids_and_gets_a_new_index(cvat_server_fresh, tmp_path):
    def labels(v, n):
        items = [box("car", 0.02 * n, 0.1, index=1)]
        if n <= 3:
            items.append(box("car", 0.6, 0.6, index=2))
        return boxes(*items)

    dataset = video_dataset(tmp_path, frames=FRAMES, labels=labels)
    before = _label_ids(dataset)
    dataset.annotate("split", label_field="frames.detections", **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("split")
    with annotator(cvat_server_fresh) as person:
        job = first_job(person, results)
        tracks = person.annotations(job)["tracks"]
        long = next(t for t in tracks if len(t["shapes"]) == FRAMES)
        # CVAT's split at CVAT frame 5: the track ends there, a new one starts with a copy
        first = sorted(long["shapes"], key=lambda s: s["frame"])
        ending = {**first[5], "outside": True}
        ending.pop("id", None)
        person.update(job, long["id"], kind="tracks", shapes=[*first[:5], ending])
        person.add_track(
            job,
            label="car",
            shapes=[
                {
                    "frame": s["frame"],
                    "points": s["points"],
                    "attributes": {"label_id": before[s["frame"] + 1][1]},
                }
                for s in first[5:]
            ],
        )
    report = dataset.load_annotations("split")
    diff = report.fields["frames.detections"]
    assert (diff.added, diff.deleted) == (0, 0)
    after = frame_labels(dataset)
    for number in range(1, FRAMES + 1):
        cars = {d.id: d for d in after[number]}
        assert before[number][1] in cars  # every uploaded id survives
        index = cars[before[number][1]].index
        assert index == (1 if number <= 5 else 3)  # 3: not taken by tracks 1 and 2
    assert {d.index for n in (1, 2, 3) for d in after[n]} == {1, 2}


def test_merged_tracks_take_the_smallest_index(cvat_server_fresh, tmp_path):
    def labels(v, n):
        if n == 5:
            return None
        return boxes(box("car", 0.05 * n, 0.1, index=4 if n < 5 else 7))

    dataset = video_dataset(tmp_path, frames=FRAMES, labels=labels)
    before = {n: ids for n, ids in _label_ids(dataset).items()}
    dataset.annotate("merge", label_field="frames.detections", **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("merge")
    with annotator(cvat_server_fresh) as person:
        job = first_job(person, results)
        assert _merge_all_tracks(person, job, before) == 2
    report = dataset.load_annotations("merge")
    diff = report.fields["frames.detections"]
    assert (diff.added, diff.deleted) == (1, 0)  # frame 5 is interpolated into the merged track
    after = frame_labels(dataset)
    assert sorted(after) == list(range(1, FRAMES + 1))
    assert {d.index for ds in after.values() for d in ds} == {4}
    for number, ids in before.items():
        assert [d.id for d in after[number]] == list(ids.values())


def test_index_edits_refused_when_not_allowed(cvat_server_fresh, tmp_path):
    def labels(v, n):
        return boxes(box("car", 0.05 * n, 0.1, index=1 if n < 5 else 2))

    dataset = video_dataset(tmp_path, frames=FRAMES, labels=labels)
    dataset.annotate(
        "fixed",
        label_field="frames.detections",
        allow_index_edits=False,
        **credentials(cvat_server_fresh),
    )
    results = dataset.load_annotation_results("fixed")
    before = _label_ids(dataset)
    with annotator(cvat_server_fresh) as person:
        job = first_job(person, results)
        _merge_all_tracks(person, job, before)
    report = dataset.load_annotations("fixed")
    assert report.fields["frames.detections"].refused_counts().get("index edit", 0) == 6
    after = frame_labels(dataset)
    assert [after[n][0].index for n in range(1, FRAMES + 1)] == [1] * 4 + [2] * 6
