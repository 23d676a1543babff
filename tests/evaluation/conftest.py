"""Evaluation fixtures: quickstart loaded once, and one evaluated copy shared read-only."""

from __future__ import annotations

import pytest

import labelloop.zoo as foz


@pytest.fixture(scope="session")
def quickstart():
    return foz.load_zoo_dataset("quickstart")


@pytest.fixture(scope="module")
def evaluated(quickstart):
    """A private copy with ``eval`` run at IoU 0.5 (do not modify in tests)."""
    dataset = quickstart.clone()
    results = dataset.evaluate_detections("predictions", gt_field="ground_truth", eval_key="eval")
    return dataset, results
