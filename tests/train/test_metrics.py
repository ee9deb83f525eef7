"""Metrics: accuracy (multi-class, one-hot, binary), top-k against torch, user callables."""

import numpy as np
import pytest
import torch

import nerve
from nerve.train import Accuracy, TopKAccuracy, accuracy, get_metric, get_metrics, top_k_accuracy


def test_multiclass_accuracy_is_argmax_match():
    out = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.1, 0.2, 0.3], [5.0, 0.0, 0.0]])
    y = np.array([0, 1, 1, 2])
    assert accuracy(nerve.tensor(out), nerve.tensor(y)) == pytest.approx(0.5)
    assert accuracy(out, np.eye(3)[y]) == pytest.approx(0.5)  # one-hot target


def test_accuracy_on_spatial_output_and_random_batches():
    rng = np.random.default_rng(3)
    out, y = rng.normal(size=(6, 4, 5)), rng.integers(0, 4, (6, 5))
    ref = (torch.from_numpy(out).argmax(1) == torch.from_numpy(y)).double().mean().item()
    assert Accuracy()(out, y) == pytest.approx(ref)


def test_binary_accuracy_thresholds():
    probs = np.array([[0.9], [0.4], [0.6], [0.1]], np.float32)
    y = np.array([[1.0], [1.0], [0.0], [0.0]], np.float32)
    assert accuracy(probs, y) == pytest.approx(0.5)
    logits = np.array([2.0, -1.0, -0.5, 3.0])
    assert Accuracy(threshold=0.0)(logits, np.array([1, 0, 0, 0])) == pytest.approx(0.75)


def test_accuracy_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"accuracy: output of shape \(4, 3\)"):
        accuracy(np.zeros((4, 3)), np.zeros(5))


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_matches_torch(k):
    rng = np.random.default_rng(k)
    out, y = rng.normal(size=(50, 4)).astype(np.float32), rng.integers(0, 4, 50)
    top = torch.from_numpy(out).topk(min(k, 4), dim=1).indices
    ref = (top == torch.from_numpy(y)[:, None]).any(1).double().mean().item()
    assert top_k_accuracy(out, y, k) == pytest.approx(ref)
    assert TopKAccuracy(k).name == f"top{k}_accuracy"


def test_top_k_errors():
    with pytest.raises(ValueError, match="k must be >= 1"):
        TopKAccuracy(0)
    with pytest.raises(ValueError, match=r"expected output \(N, C\)"):
        top_k_accuracy(np.zeros((4, 3, 2)), np.zeros(4), 2)


def test_get_metric_names_and_callables():
    assert isinstance(get_metric("acc"), Accuracy) and get_metric("acc").name == "accuracy"
    assert get_metric("top3_accuracy").k == 3 and get_metric("top_5").k == 5

    def mean_abs(out, y):
        return (out - y).abs().mean()  # a Tensor result is turned into a float

    m = get_metric(mean_abs)
    assert m.name == "mean_abs"
    assert m(nerve.tensor([1.0, 2.0]), nerve.tensor([0.0, 0.0])) == pytest.approx(1.5)
    assert get_metric(lambda o, y: 1.0, index=2).name == "metric_2"
    by_dict = get_metrics({"one": lambda o, y: 1.0})
    assert by_dict[0].name == "one" and by_dict[0](None, None) == 1.0
    assert [m.name for m in get_metrics("accuracy")] == ["accuracy"]
    assert get_metrics(None) == []


def test_get_metric_errors():
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        get_metric("f1")
    with pytest.raises(TypeError, match="a metric must be"):
        get_metric(3)
    with pytest.raises(ValueError, match="unique"):
        get_metrics(["accuracy", "acc"])
    with pytest.raises(ValueError, match="reserved"):
        get_metrics({"loss": lambda o, y: 0.0})
