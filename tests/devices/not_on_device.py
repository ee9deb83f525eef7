"""What does not run on the device yet (its ops still call NumPy directly): op-table
rows, layer twins and training-parity models, by key.

The device tests expect each of these to fail (strict xfail): when an op is converted to
the seam, its rows pass and must be taken off this list, or the suite fails. Regenerate
with ``python tests/devices/not_on_device.py`` (prints the three sets that fail now).
"""

from not_on_device_rows import NOT_YET  # noqa: F401 - the op rows (a long list)

LAYERS_NOT_YET: set = set()  # every layer twin runs on the device

TRAINING_NOT_YET: set = set()  # every training-parity model runs on the device


def run_check(known_failing: bool, check, *args) -> None:
    """Run a device check. A converted case fails with its whole traceback; a case on a
    not-yet list (a strict xfail) fails with a one-line reason, since full tracebacks of
    hundreds of expected failures would cost minutes of the suite."""
    if not known_failing:
        check(*args)
        return
    import pytest

    try:
        check(*args)
    except Exception as err:  # noqa: BLE001 - expected: the short reason is enough
        pytest.fail(f"{type(err).__name__}: {str(err)[:200]}", pytrace=False)


def failing_now() -> tuple:
    """(rows, twins, models) that fail on the device in this checkout."""
    import layer_twins  # noqa: F401
    import test_layer_twins
    import test_training_parity as test_training
    from devicecheck import check_on_device, collect
    from layercheck import TWINS

    from nerve.backend import use_strict_device

    def fails(check, arg) -> bool:
        use_strict_device(True)
        try:
            check(arg)
        except Exception:  # noqa: BLE001 - any failure keeps it on the list
            return True
        finally:
            use_strict_device(None)
        return False

    rows = {k for k, case in collect().items() if fails(check_on_device, case)}
    twins = {k for k, t in TWINS.items() if fails(test_layer_twins.check_twin_on_device, t)}
    models = {
        n for n in ("digits-mlp", "digits-cnn", "charlm") if fails(test_training.check_parity, n)
    }
    return rows, twins, models


if __name__ == "__main__":
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(os.path.dirname(here)))
    for d, sub, _ in os.walk(os.path.dirname(here)):
        sub[:] = [s for s in sub if not s.startswith((".", "__"))]
        sys.path.insert(0, d)
    rows, twins, models = failing_now()
    with open(os.path.join(here, "not_on_device_rows.py"), "w", encoding="utf-8") as f:
        f.write(
            '"""Op-table rows not on the device yet (see not_on_device.py); generated."""'
            + (
                "\n\nNOT_YET = {\n" + "".join(f"    {k!r},\n" for k in sorted(rows)) + "}\n"
                if rows
                else "\n\nNOT_YET: set = set()  # every op-table row runs on the device\n"
            )
        )
    print(f"{len(rows)} rows written to not_on_device_rows.py")
    print("LAYERS_NOT_YET =", sorted(twins))
    print("TRAINING_NOT_YET =", sorted(models))
