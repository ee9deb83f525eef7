"""nerve lab traffic-sign: the synthetic sign images, the CNN's summary and its accuracy."""

import numpy as np
import pytest

from nerve.diagnostics.labs import cnn as lc


def test_sign_images_are_balanced_colour_free_shapes():
    x, y = lc.sign_images(60, seed=3)
    assert x.shape == (60, 3, 32, 32) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert np.bincount(y).tolist() == [20, 20, 20]
    again, y_again = lc.sign_images(60, seed=3)
    np.testing.assert_array_equal(again, x)
    np.testing.assert_array_equal(y_again, y)
    # the colour says nothing of the class: every class comes in more than one colour
    centre = x[:, :, 14:18, 14:18].mean((2, 3))  # inside the shape at any position
    for k in range(3):
        colours = {int(np.argmin(np.abs(lc.COLOURS - c).sum(1))) for c in centre[y == k]}
        assert len(colours) > 1


def test_standardize():
    x, _ = lc.sign_images(6, seed=0)
    z = lc.standardize(x)
    np.testing.assert_allclose(z.mean((1, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std((1, 2, 3)), 1.0, rtol=1e-4)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lc.lab_traffic_sign(quick=True, out=str(tmp_path_factory.mktemp("signs")))


def test_summary_shapes_and_parameter_counts(result):
    layers = list(result.numbers["layers"].values())
    assert [x["output"] for x in layers] == [
        (1, 8, 32, 32),
        (1, 8, 32, 32),
        (1, 8, 16, 16),
        (1, 16, 16, 16),
        (1, 16, 16, 16),
        (1, 16, 8, 8),
        (1, 1024),
        (1, 3),
    ]
    # (K·K·C_in + 1)·C_out for the convolutions, (in + 1)·out for the dense layer
    assert [x["parameters"] for x in layers] == [
        (5 * 5 * 3 + 1) * 8,
        0,
        0,
        (5 * 5 * 8 + 1) * 16,
        0,
        0,
        0,
        (1024 + 1) * 3,
    ]
    assert result.numbers["total_params"] == 608 + 3216 + 3075
    assert "Total params: 6,899" in result.report


def test_accuracy_well_above_chance(result):
    n = result.numbers
    assert n["accuracy_before"] < 0.5
    assert n["test_accuracy"] > 0.8
    assert n["loss"][-1] < n["loss"][0] / 2
    assert result.plot.endswith("lab_traffic_sign.png")
