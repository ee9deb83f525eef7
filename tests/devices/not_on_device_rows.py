"""Op-table rows not on the device yet (see not_on_device.py); generated."""

NOT_YET = {
    'tests/ops/test_activation_extra.py::RReLU/train',
    'tests/ops/test_attention.py::ScaledDotProductAttention/dropout',
    'tests/ops/test_dropout.py::Dropout',
    'tests/ops/test_dropout.py::Dropout/channel_mask',
    'tests/ops/test_dropout.py::Dropout/p1',
    'tests/ops/test_indexing_adjoint.py::GetItemGrad/repeated_rows',
    'tests/ops/test_loss.py::SoftMarginLoss/large',
    'tests/ops/test_mathfns_more.py::Hypot/const',
    'tests/ops/test_mathfns_more.py::Ldexp/composite',
    'tests/ops/test_rebind.py::IndexPut/mask',
    'tests/ops/test_rebind.py::IndexPut/rows',
}
