"""Videos: send a clip's object tracks to CVAT, where annotators fix them frame by frame or
with keyframes, and merge the tracks back into the frames."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart-video", dataset_name="example-video", drop_existing_dataset=True
)
view = dataset.take(1, seed=3)
print(dataset.get_frame_field_schema()["detections"])

anno_key = "video_tracks"
results = view.annotate(
    anno_key,
    label_field="frames.detections",  # frame-level field: labels with an index become tracks
    attributes={"type": {"type": "text", "mutable": False}},
    launch_editor=True,
)
print(f"{len(results.task_ids)} task (one per video)")

input("Fix the tracks in CVAT, complete the job, then press Enter ")

report = dataset.load_annotations(anno_key, cleanup=True)
print(report)
dataset.delete_annotation_run(anno_key)
