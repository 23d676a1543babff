"""Scalar fields (numbers, strings) are annotated as CVAT tags; with classes they become a
choice, without them free text."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-scalars", drop_existing_dataset=True
)
view = dataset.take(1, seed=9)

anno_key = "scalars"
label_schema = {
    "quality": {"type": "scalar"},
    "weather": {"type": "scalar", "classes": ["sunny", "cloudy", "rain"]},
}
results = view.annotate(anno_key, label_schema=label_schema)
print(dataset.get_annotation_info(anno_key))

# clean up without downloading anything
results.cleanup()
dataset.delete_annotation_run(anno_key)
print("cleaned up")
