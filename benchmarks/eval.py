"""Detection evaluation benchmark: evaluate_detections() on N quickstart-like samples.

Labels come from the quickstart generator (scene ``i`` for i < N, about 6 ground
truth and 10 predicted objects per image); the media paths reuse the 200
quickstart JPEGs. Prints one line per step (seconds); asserts nothing.

    /work/venv/bin/python benchmarks/eval.py [N ...]      (default: 200 10000)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _step(name: str, start: float, extra: str = "") -> float:
    now = time.perf_counter()
    print(f"  {name:<44} {now - start:8.3f} s {extra}", flush=True)
    return now


def run(n: int) -> None:
    """Build an N-sample dataset and time the evaluation variants."""
    import labelloop as ll
    from labelloop.evaluation.objects import EvalSettings, ObjectEvaluator
    from labelloop.zoo import quickstart
    from labelloop.zoo.media_cache import zoo_dir

    print(f"N = {n}")
    t = time.perf_counter()
    root = zoo_dir() / "quickstart"
    quickstart.ensure_media(root)
    paths = [os.fspath(root / "data" / quickstart.filename(i)) for i in range(200)]
    samples = [ll.Sample(paths[i % 200], **quickstart.scene_labels(i)) for i in range(n)]
    n_gt = sum(len(s.ground_truth.detections) for s in samples)
    n_pred = sum(len(s.predictions.detections) for s in samples)
    t = _step("generate labels", t, f"({n_gt} gt, {n_pred} predictions)")

    evaluator = ObjectEvaluator(EvalSettings("predictions"), None)
    for s in samples:
        evaluator.evaluate(s.ground_truth.detections, s.predictions.detections)
    t = _step("matching only (in memory, no database)", t)

    dataset = ll.Dataset()
    dataset.add_samples(samples)
    t = _step("add_samples", t)
    dataset.evaluate_detections("predictions")
    t = _step("evaluate_detections (no eval_key)", t)
    dataset.evaluate_detections("predictions", eval_key="eval")
    t = _step("evaluate_detections(eval_key='eval')", t)
    results = dataset.evaluate_detections("predictions", compute_mAP=True)
    t = _step("evaluate_detections(compute_mAP=True)", t, f"mAP={results.mAP():.4f}")
    dataset.delete()


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [200, 10000]
    home = tempfile.mkdtemp(prefix="labelloop-bench-")
    os.environ.setdefault("LABELLOOP_HOME", home)
    os.environ.setdefault("LABELLOOP_DATABASE_DIR", os.path.join(home, "db"))
    sys.path.insert(0, ROOT)
    for n in sizes:
        run(n)


if __name__ == "__main__":
    main(sys.argv[1:])
