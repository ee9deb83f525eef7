"""Grad and inference mode are per thread, as PyTorch's; anomaly mode and the default
dtype are process-wide, as PyTorch's. Each case runs in nerve and in torch side by side."""

import threading

import numpy as np
import pytest
import torch

import nerve


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            out["error"] = err

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert not t.is_alive(), "worker thread hung"
    if "error" in out:
        raise out["error"]
    return out["value"]


def _switches(lib):
    return (lib.is_grad_enabled(), lib.is_inference_mode_enabled(), lib.is_anomaly_enabled())


@pytest.mark.parametrize("lib", [nerve, torch], ids=["nerve", "torch"])
@pytest.mark.parametrize("region", ["no_grad", "set_grad_enabled", "inference_mode"])
def test_a_new_thread_starts_with_grad_on_whatever_its_parent_set(lib, region):
    ctx = {
        "no_grad": lambda: lib.no_grad(),
        "inference_mode": lambda: lib.inference_mode(),
        "set_grad_enabled": lambda: lib.set_grad_enabled(False),
    }[region]
    with ctx():
        assert not lib.is_grad_enabled()
        assert _in_thread(lambda: _switches(lib)) == (True, False, False)
    assert lib.is_grad_enabled()


def test_the_switches_match_torch_in_a_child_thread_under_every_region():
    for make in (
        lambda lib: lib.no_grad(),
        lambda lib: lib.inference_mode(),
        lambda lib: lib.autograd.set_detect_anomaly(True),
    ):
        seen = []
        for lib in (nerve, torch):
            with make(lib):
                seen.append((_switches(lib), _in_thread(lambda lib=lib: _switches(lib))))
        assert seen[0] == seen[1]


def test_inference_in_one_thread_leaves_training_in_another_recording_its_graph():
    """The issue's case: a server predicts under no_grad while a model trains."""
    inside, release = threading.Event(), threading.Event()

    def predict():
        with nerve.no_grad():
            inside.set()
            release.wait(10)
            return (nerve.ones(3, requires_grad=True) * 2).requires_grad

    result = {}
    t = threading.Thread(target=lambda: result.setdefault("predict", predict()))
    t.start()
    assert inside.wait(10)
    try:
        w = nerve.ones(3, requires_grad=True)
        loss = (w * 2).sum()
        assert nerve.is_grad_enabled() and loss.requires_grad
        loss.backward()
        np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
    finally:
        release.set()
        t.join(10)
    assert result["predict"] is False


def test_many_threads_toggling_grad_mode_never_see_each_other():
    barrier = threading.Barrier(4)
    wrong = []

    def work(i):
        mode = i % 2 == 0
        with nerve.set_grad_enabled(mode):
            for _ in range(200):
                barrier.wait(10) if _ == 0 else None
                y = nerve.ones(2, requires_grad=True) * 3
                if y.requires_grad is not mode or nerve.is_grad_enabled() is not mode:
                    wrong.append(i)
                    return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not wrong
    assert nerve.is_grad_enabled()


def test_backward_in_a_thread_leaves_the_main_threads_grad_mode_on():
    """backward turns grad mode off for its own walk only, in its own thread."""
    w = nerve.ones(2, requires_grad=True)
    loss = (w * w).sum()
    _in_thread(loss.backward)
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])
    assert nerve.is_grad_enabled()
