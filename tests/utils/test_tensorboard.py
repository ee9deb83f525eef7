"""SummaryWriter's files are read back by TensorBoard's own EventAccumulator."""

import os

import numpy as np
import pytest

import nerve
from nerve.utils.tensorboard import SummaryWriter, records

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _load(path):
    acc = event_accumulator.EventAccumulator(
        path, size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0}
    )
    acc.Reload()
    return acc


def test_crc32c_known_value():
    assert records.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value


def test_scalars_histograms_images_text(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(5):
            w.add_scalar("loss/train", nerve.tensor(1.0 / (step + 1)), step)
        w.add_scalar("lr", 0.5, 7, walltime=123.0)
        values = np.random.default_rng(0).normal(size=1000)
        w.add_histogram("weights", nerve.tensor(values), 3, bins=10)
        img = np.zeros((3, 4, 5), np.float32)
        img[0, 1, 2] = 1.0
        w.add_image("sample", nerve.tensor(img), 2)
        w.add_image("grey", np.full((4, 5), 128, np.uint8), 2, dataformats="HW")
        w.add_text("note", "hello **tensorboard**", 1)
    acc = _load(str(tmp_path))
    loss = acc.Scalars("loss/train")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1 / (s + 1) for s in range(5)], rtol=1e-6)
    (lr,) = acc.Scalars("lr")
    assert (lr.step, lr.value, lr.wall_time) == (7, 0.5, 123.0)
    (h,) = acc.Histograms("weights")
    assert h.step == 3 and h.histogram_value.num == 1000
    counts, edges = np.histogram(values, bins=10)
    assert list(h.histogram_value.bucket) == counts.tolist()
    np.testing.assert_allclose(h.histogram_value.bucket_limit, edges[1:])
    np.testing.assert_allclose(h.histogram_value.sum_squares, values @ values)
    (im,) = acc.Images("sample")
    assert (im.step, im.height, im.width) == (2, 4, 5)
    pytest.importorskip("PIL")
    import io

    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(im.encoded_image_string)))
    assert pixels.shape == (4, 5, 3) and pixels[1, 2].tolist() == [255, 0, 0]
    assert pixels.sum() == 255
    grey = np.asarray(Image.open(io.BytesIO(acc.Images("grey")[0].encoded_image_string)))
    assert grey.shape == (4, 5) and (grey == 128).all()
    (text,) = acc.Tensors("note/text_summary")
    assert text.step == 1 and text.tensor_proto.string_val == [b"hello **tensorboard**"]


def test_add_scalars_writes_one_run_per_entry(tmp_path):
    w = SummaryWriter(str(tmp_path))
    w.add_scalars("loss", {"train": 1.0, "test": 2.0}, 0)
    w.add_scalars("loss", {"train": 0.5, "test": 1.5}, 1)
    w.close()
    for name, expected in (("train", [1.0, 0.5]), ("test", [2.0, 1.5])):
        run = os.path.join(str(tmp_path), f"loss_{name}")
        assert [e.value for e in _load(run).Scalars("loss")] == expected


def test_default_log_dir_and_bad_image(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_x")
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_x")
    with pytest.raises(ValueError, match="add_image"):
        w.add_image("bad", np.zeros((2, 3)), 0)
    w.close()
    assert any(f.startswith("events.out.tfevents.") for f in os.listdir(w.get_logdir()))
