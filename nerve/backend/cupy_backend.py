"""CuPy, imported the first time "cuda" is asked for (never by ``import nerve``)."""

from __future__ import annotations

_state: dict = {}


def load():
    """(cupy, "") when CuPy imports and sees a GPU, else (None, why not)."""
    if "cupy" in _state:
        return _state["cupy"], _state["why"]
    cp, why = None, ""
    try:
        import cupy
    except ImportError as err:
        why = f"CuPy is not installed ({err})"
    else:
        try:
            ok = bool(cupy.is_available())
        except Exception as err:  # noqa: BLE001 - a broken driver raises CUDA errors of its own
            ok, why = False, f"CuPy found no usable GPU ({err})"
        if ok:
            cp = cupy
            from nerve.backend import namespaces

            namespaces.register(cupy.ndarray, cupy, _device_of)
        elif not why:
            why = "CuPy is installed but cupy.is_available() is False: no GPU or driver"
    _state["cupy"], _state["why"] = cp, why
    return cp, why


def _device_of(a):
    from nerve.backend.device import device

    return device("cuda", a.device.id)


def device_count() -> int:
    cp = load()[0]
    return 0 if cp is None else int(cp.cuda.runtime.getDeviceCount())


def to_cupy(a, index: int):
    cp = load()[0]
    with cp.cuda.Device(index):
        return cp.asarray(a)
