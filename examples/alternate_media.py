"""Send other media than the samples' own: here blurred copies (e.g. to hide faces), kept in a
separate field, while the labels still merge into the original samples."""

import os
import tempfile

from PIL import Image, ImageFilter

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-alt-media", drop_existing_dataset=True
)
view = dataset.take(2, seed=13)

blur_dir = tempfile.mkdtemp(prefix="blurred-")
for sample in view.iter_samples(autosave=True):
    blurred = os.path.join(blur_dir, os.path.basename(sample.filepath))
    with Image.open(sample.filepath) as image:
        image.filter(ImageFilter.GaussianBlur(4)).save(blurred)
    sample["blurred_filepath"] = blurred

anno_key = "blurred"
view.annotate(
    anno_key, label_field="ground_truth", media_field="blurred_filepath", launch_editor=True
)

input("Fix boxes on the blurred images in CVAT, complete the jobs, then press Enter ")

print(dataset.load_annotations(anno_key, cleanup=True))
dataset.delete_annotation_run(anno_key)
