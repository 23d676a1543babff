"""Split a run into several tasks and jobs so many people can work at once."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-large-run", drop_existing_dataset=True
)
view = dataset.take(6, seed=5)

anno_key = "large_run"
results = view.annotate(
    anno_key,
    label_field="ground_truth",
    task_size=2,  # at most 2 images per task
    segment_size=1,  # one image per job
    task_name="example-large-run",
)
print(f"{len(results.task_ids)} tasks, {sum(map(len, results.job_ids.values()))} jobs")
results.print_status()

input("Complete every job in CVAT, then press Enter ")

print(dataset.load_annotations(anno_key, cleanup=True))
dataset.delete_annotation_run(anno_key)
