"""SummaryWriter: ``torch.utils.tensorboard.SummaryWriter``'s logging calls, writing real
TensorBoard event files (nerve/utils/tensorboard/records.py) with no TensorBoard needed
until you view them (``pip install tensorboard``, then ``tensorboard --logdir runs``)."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import numpy as np

from nerve.utils.tensorboard import records

__all__ = ["FileWriter", "SummaryWriter"]
_count = [0]


def _array(x) -> np.ndarray:
    data = getattr(x, "_data", x)
    return np.asarray(data.detach().numpy() if hasattr(data, "detach") else data)


class FileWriter:
    """One events file in ``log_dir``, opened at once with its file_version record."""

    def __init__(self, log_dir: str, filename_suffix: str = "") -> None:
        os.makedirs(log_dir, exist_ok=True)
        _count[0] += 1
        name = (
            f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
            f"{os.getpid()}.{_count[0]}{filename_suffix}"
        )
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")  # noqa: SIM115 - held open until close()
        self.add_event(records.event(time.time(), file_version="brain.Event:2"))

    def add_event(self, data: bytes) -> None:
        self._file.write(records.record(data))

    def add_summary(self, value: bytes, step, walltime) -> None:
        wall = time.time() if walltime is None else walltime
        self.add_event(
            records.event(wall, None if step is None else int(step), records.summary(value))
        )

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


class SummaryWriter:
    """Logs scalars, histograms, images and text for TensorBoard under ``log_dir``
    (default ``runs/<Mon DD_HH-MM-SS>_<host><comment>``, as PyTorch's)."""

    def __init__(
        self,
        log_dir: str | None = None,
        comment: str = "",
        purge_step=None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir, self.filename_suffix = log_dir, filename_suffix
        self.file_writer = FileWriter(log_dir, filename_suffix)
        self.all_writers = {log_dir: self.file_writer}

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step=None,
        walltime=None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        value = float(_array(scalar_value).reshape(()))
        self.file_writer.add_summary(records.scalar_value(tag, value), global_step, walltime)

    def add_scalars(
        self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None
    ) -> None:
        """Each entry goes to its own run ``log_dir/<main_tag>_<tag>`` under the tag
        ``main_tag``, so TensorBoard draws them in one chart, as PyTorch does."""
        for tag, value in tag_scalar_dict.items():
            run = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            if run not in self.all_writers:
                self.all_writers[run] = FileWriter(run, self.filename_suffix)
            self.all_writers[run].add_summary(
                records.scalar_value(main_tag, float(_array(value).reshape(()))),
                global_step,
                walltime,
            )

    def add_histogram(
        self, tag: str, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None
    ) -> None:
        """Bins: an int or a NumPy rule ("auto", "fd" ...); PyTorch's default
        "tensorflow" (its exponential buckets) is drawn here as 30 equal bins."""
        v = _array(values)
        if v.size == 0:
            raise ValueError("add_histogram: the input has no elements")
        nbins = 30 if bins == "tensorflow" else bins
        self.file_writer.add_summary(records.histogram_value(tag, v, nbins), global_step, walltime)

    def add_image(
        self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "CHW"
    ) -> None:
        """An image of 1, 3 or 4 channels; floats are taken in [0, 1], uint8 as is."""
        img = _array(img_tensor)
        fmt = dataformats.upper()
        if img.ndim != len(fmt) or sorted(fmt) not in (sorted("CHW"), sorted("HW")):
            raise ValueError(
                f"add_image: dataformats {dataformats!r} does not fit an image "
                f"of shape {tuple(img.shape)} (expected CHW, HWC or HW)"
            )
        if fmt == "HW":
            img, fmt = img[None], "CHW"
        hwc = np.transpose(img, [fmt.index(a) for a in "HWC"])
        if hwc.shape[2] not in (1, 3, 4):
            raise ValueError(f"add_image: expected 1, 3 or 4 channels, got {hwc.shape[2]}")
        if hwc.dtype != np.uint8:
            hwc = (np.clip(hwc.astype(np.float64), 0, 1) * 255 + 0.5).astype(np.uint8)
        self.file_writer.add_summary(
            records.image_value(tag, np.ascontiguousarray(hwc)), global_step, walltime
        )

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        self.file_writer.add_summary(
            records.text_value(f"{tag}/text_summary", text_string), global_step, walltime
        )

    def flush(self) -> None:
        for w in self.all_writers.values():
            w.flush()

    def close(self) -> None:
        for w in self.all_writers.values():
            w.flush()
            w.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
