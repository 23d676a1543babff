"""The basic recipe: find the sample whose confident predictions are most often wrong, fix its
ground truth in CVAT, merge the fixes back, clean up."""

import labelloop.zoo as llz
from labelloop import ViewField as F

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-basic-recipe", drop_existing_dataset=True
)
dataset.evaluate_detections("predictions", gt_field="ground_truth", eval_key="eval")

# confident false positives, the sample with most of them first
most_fp_view = dataset.filter_labels(
    "predictions", (F("confidence") > 0.8) & (F("eval") == "fp")
).sort_by(F("predictions.detections").length(), reverse=True)
view = dataset.select(most_fp_view.first().id)

anno_key = "basic_recipe"
results = view.annotate(
    anno_key, label_field="ground_truth", attributes=["iscrowd"], launch_editor=True
)
print(dataset.get_annotation_info(anno_key))
results.print_status()

input("Fix the boxes in CVAT, mark the job completed, then press Enter ")

print(dataset.load_annotations(anno_key, dry_run=True))  # what the merge would change
print(dataset.load_annotations(anno_key, cleanup=True))  # merge and delete the task
dataset.delete_annotation_run(anno_key)
