"""The ``quickstart`` zoo dataset, built locally: 200 drawn scenes with labels.

Every image is a pure function of its index (fixed seeds), so the JPEGs are
written once into the zoo directory and the labels are rebuilt on each load
without reading pixels. The labels mimic a detector evaluated on COCO:
``ground_truth`` boxes of twelve classes with an ``iscrowd`` flag (a few crowd
regions) and a few instance masks; ``predictions`` with confidences holding
true positives (jittered boxes), duplicates, class confusions, confident false
positives and misses. ``uniqueness`` is measured on the rendered pixels.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labelloop.core.labels import Detection, Detections
from labelloop.formats.registry import ImportedSample
from labelloop.zoo.drawing import CLASS_COLORS, background, jitter_color, paste_object, silhouette
from labelloop.zoo.media_cache import atomic_write, read_info, write_info

logger = logging.getLogger(__name__)

NAME = "quickstart"
NUM_SAMPLES = 200
#: Bump when the generated content changes so cached media is rebuilt.
GENERATOR_VERSION = 1
CLASSES = [
    "person", "dog", "cat", "car", "truck", "bicycle",
    "bird", "horse", "bus", "boat", "chair", "bottle",
]  # fmt: skip
_SIZES = [(640, 480), (640, 427), (640, 360), (480, 640), (500, 375), (427, 640), (612, 612)]
_SEED = 51


@dataclass
class ObjectSpec:
    """One ground-truth object in pixels."""

    label: str
    box: tuple[int, int, int, int]
    color: tuple[int, int, int]
    variant: int
    iscrowd: int = 0
    has_mask: bool = False
    members: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class PredictionSpec:
    """One predicted object in pixels; ``shape_of`` names the GT whose silhouette it reuses."""

    label: str
    box: tuple[float, float, float, float]
    confidence: float
    shape_of: int | None = None


@dataclass
class SceneSpec:
    """Everything needed to draw and label one image."""

    index: int
    width: int
    height: int
    objects: list[ObjectSpec]
    predictions: list[PredictionSpec]


def scene_spec(index: int) -> SceneSpec:
    """The deterministic content of image ``index``."""
    rng = np.random.default_rng([_SEED, index])
    width, height = _SIZES[int(rng.integers(len(_SIZES)))]
    objects: list[ObjectSpec] = []
    if rng.random() < 0.04:
        objects.append(_crowd(rng, width, height))
    for _ in range(int(rng.integers(1, 12))):
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        w = int(rng.uniform(0.08, 0.45) * width)
        h = int(w * rng.uniform(0.6, 1.8))
        h = max(12, min(h, int(height * 0.7)))
        w = max(12, w)
        x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
        color = jitter_color(CLASS_COLORS[label], rng)
        objects.append(
            ObjectSpec(label, (x, y, w, h), color, int(rng.integers(4)), 0, rng.random() < 0.05)
        )
    return SceneSpec(index, width, height, objects, _predictions(rng, objects, width, height))


def _crowd(rng: np.random.Generator, width: int, height: int) -> ObjectSpec:
    w, h = int(width * rng.uniform(0.35, 0.6)), int(height * rng.uniform(0.25, 0.4))
    x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
    members = []
    for k in range(int(rng.integers(5, 9))):
        mw = max(8, w // 6)
        mx = x + int(k * (w - mw) / 8 + rng.integers(0, max(1, w // 10)))
        members.append((min(mx, x + w - mw), y + int(rng.integers(0, h // 4)), mw, h - h // 4))
    color = jitter_color(CLASS_COLORS["person"], rng)
    return ObjectSpec("person", (x, y, w, h), color, 0, iscrowd=1, members=members)


def _predictions(
    rng: np.random.Generator, objects: Sequence[ObjectSpec], width: int, height: int
) -> list[PredictionSpec]:
    preds: list[PredictionSpec] = []
    for i, obj in enumerate(objects):
        x, y, w, h = obj.box
        if obj.iscrowd:  # a detector fires on several people inside a crowd region
            for mx, my, mw, mh in obj.members[: int(rng.integers(2, 5))]:
                preds.append(
                    PredictionSpec("person", (mx, my, mw, mh), float(rng.uniform(0.3, 0.9)))
                )
            continue
        if rng.random() < 0.12:
            continue  # missed
        sigma = 0.05 if rng.random() < 0.85 else 0.3  # some poorly localised
        j = rng.normal(0.0, sigma, 4) * [w, h, w, h]
        box = _clip((x + j[0], y + j[1], w + j[2], h + j[3]), width, height)
        label = obj.label if rng.random() < 0.93 else CLASSES[int(rng.integers(len(CLASSES)))]
        conf = float(np.clip(rng.beta(5, 1.5), 0.05, 0.999))
        preds.append(PredictionSpec(label, box, conf, i if obj.has_mask else None))
        if rng.random() < 0.3:  # duplicate detection of the same object
            j = rng.normal(0.0, 0.1, 4) * [w, h, w, h]
            box = _clip((x + j[0], y + j[1], w + j[2], h + j[3]), width, height)
            preds.append(PredictionSpec(obj.label, box, float(rng.uniform(0.05, 0.6))))
    for _ in range(int(rng.poisson(3.0))):  # background false positives
        w, h = rng.uniform(0.05, 0.4) * width, rng.uniform(0.05, 0.4) * height
        box = (rng.uniform(0, width - w), rng.uniform(0, height - h), w, h)
        conf = rng.uniform(0.8, 0.99) if rng.random() < 0.12 else rng.uniform(0.05, 0.6)
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        preds.append(PredictionSpec(label, box, float(conf)))
    return preds


def _clip(box: tuple[float, ...], width: int, height: int) -> tuple[float, float, float, float]:
    x, y, w, h = box
    x0, y0 = min(max(0.0, x), width - 2.0), min(max(0.0, y), height - 2.0)
    x1, y1 = min(max(x0 + 2.0, x + w), float(width)), min(max(y0 + 2.0, y + h), float(height))
    return x0, y0, x1 - x0, y1 - y0


def render(spec: SceneSpec) -> Image.Image:
    """Draw the scene: backdrop, crowds behind, then objects from large to small."""
    rng = np.random.default_rng([_SEED, spec.index, 1])
    image = background(spec.width, spec.height, rng)
    order = sorted(
        range(len(spec.objects)),
        key=lambda i: (-spec.objects[i].iscrowd, -spec.objects[i].box[2] * spec.objects[i].box[3]),
    )
    for i in order:
        obj = spec.objects[i]
        for member in obj.members:
            paste_object(image, "person", member, obj.color, 0)
        if not obj.iscrowd:
            paste_object(image, obj.label, obj.box, obj.color, obj.variant)
    return image


def filename(index: int) -> str:
    """Media file name of sample ``index``."""
    return f"{index:06d}.jpg"


def ensure_media(root: Path) -> dict[str, Any]:
    """Write the 200 JPEGs into ``root`` unless a complete current copy exists.

    Returns the cached info (generator version, per-image uniqueness).
    """
    info = read_info(root)
    data = root / "data"
    if info.get("version") == GENERATOR_VERSION and all(
        (data / filename(i)).is_file() for i in range(NUM_SAMPLES)
    ):
        return info
    logger.info("Generating the %s dataset in %s", NAME, root)
    data.mkdir(parents=True, exist_ok=True)
    thumbs = []
    for i in range(NUM_SAMPLES):
        image = render(scene_spec(i))
        atomic_write(data / filename(i), lambda f, im=image: im.save(f, "JPEG", quality=90))
        thumbs.append(np.asarray(image.convert("L").resize((24, 24)), dtype=np.float32))
    info = {"version": GENERATOR_VERSION, "uniqueness": _uniqueness(np.stack(thumbs)).tolist()}
    write_info(root, info)
    return info


def _uniqueness(thumbs: np.ndarray) -> np.ndarray:
    """How far each image is from its nearest neighbours, scaled to ``[0, 1]``."""
    flat = thumbs.reshape(len(thumbs), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    sq = (flat**2).sum(axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0.0))
    np.fill_diagonal(dist, np.inf)
    near = np.sort(dist, axis=1)[:, :3].mean(axis=1)
    lo, hi = near.min(), near.max()
    return (near - lo) / (hi - lo) if hi > lo else np.zeros_like(near)


def load_samples(root: Path, indices: Sequence[int]) -> list[ImportedSample]:
    """The requested samples, generating the media first if needed."""
    info = ensure_media(root)
    out = []
    for i in indices:
        fields = {
            "tags": ["validation"],
            **scene_labels(i),
            "uniqueness": float(info["uniqueness"][i]),
        }
        out.append(ImportedSample(os.fspath(root / "data" / filename(i)), fields))
    return out


def scene_labels(index: int) -> dict[str, Detections]:
    """``ground_truth`` and ``predictions`` of scene ``index`` (any index, no media needed)."""
    spec = scene_spec(index)
    return {"ground_truth": _ground_truth(spec), "predictions": _prediction_labels(spec)}


def _relative(box: Sequence[float], spec: SceneSpec) -> list[float]:
    x, y, w, h = box
    return [x / spec.width, y / spec.height, w / spec.width, h / spec.height]


def _ground_truth(spec: SceneSpec) -> Detections:
    dets = []
    for obj in spec.objects:
        det = Detection(label=obj.label, bounding_box=_relative(obj.box, spec), iscrowd=obj.iscrowd)
        if obj.has_mask:
            det.mask = silhouette(obj.label, obj.box[2], obj.box[3], obj.variant)
        dets.append(det)
    return Detections(detections=dets)


def _prediction_labels(spec: SceneSpec) -> Detections:
    dets = []
    for pred in spec.predictions:
        det = Detection(
            label=pred.label, bounding_box=_relative(pred.box, spec), confidence=pred.confidence
        )
        if pred.shape_of is not None:
            src = spec.objects[pred.shape_of]
            pw = max(1, int(round(pred.box[2])))
            ph = max(1, int(round(pred.box[3])))
            det.mask = silhouette(src.label, pw, ph, src.variant)
        dets.append(det)
    return Detections(detections=dets)
