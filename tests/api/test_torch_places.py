"""Every public name of torch that nerve offers somewhere is reachable in the same place
as in torch: for each pair of faces below, a name of the torch module that nerve has in
any of its faces must be an attribute of nerve's twin module. What is not there yet is
listed in ELSEWHERE with the reason; an entry that becomes reachable must leave the list,
so it only shrinks."""

import importlib
import types

import numpy as np
import pytest
import torch

import nerve

FACES = [
    "",
    ".nn",
    ".nn.functional",
    ".nn.init",
    ".nn.utils",
    ".nn.utils.rnn",
    ".nn.modules",
    ".nn.parallel",
    ".linalg",
    ".special",
    ".optim",
    ".optim.lr_scheduler",
    ".utils.data",
    ".utils.data.dataloader",
    ".distributions",
    ".autograd",
    ".autograd.functional",
    ".func",
    ".testing",
    ".cuda",
    ".amp",
    ".distributed",
    ".onnx",
]

_TOP_OTHER_SIGNATURE = "torch's top-level aten binding takes other arguments than F's"
ELSEWHERE = {
    "": {
        **dict.fromkeys(
            "alpha_dropout batch_norm bilinear binary_cross_entropy_with_logits "
            "cosine_embedding_loss ctc_loss dropout embedding embedding_bag "
            "feature_alpha_dropout group_norm hinge_embedding_loss instance_norm kl_div "
            "layer_norm margin_ranking_loss max_pool1d max_pool1d_with_indices max_pool2d "
            "max_pool3d adaptive_avg_pool1d adaptive_max_pool1d avg_pool1d "
            "native_channel_shuffle poisson_nll_loss rms_norm triplet_margin_loss".split(),
            _TOP_OTHER_SIGNATURE,
        ),
        "cross": "torch.cross's dim defaults to the first size-3 dim, linalg.cross's to -1",
        "matrix_rank": "removed from torch's top level (raises there); nerve.linalg has it",
        "qr": "torch.qr(some=) is deprecated; nerve.linalg.qr(mode=) is the one offered",
        "solve": "removed from torch's top level (raises there); nerve.linalg has it",
        "cond": "torch.cond is control flow for torch.compile; nerve.linalg.cond is a norm",
        "Event": "CUDA events: nerve.cuda.Event only",
        "Stream": "CUDA streams: nerve.cuda.Stream only",
        "GradScaler": "torch.GradScaler is new; nerve has nerve.amp / nerve.cuda.amp's",
        "ModuleDict": "torch.ModuleDict is a TorchScript type; nn.ModuleDict is offered",
        "ParameterDict": "torch.ParameterDict is a TorchScript type; nn.ParameterDict is",
    },
    ".nn.parallel": dict.fromkeys(
        ["gather", "scatter"], "multi-GPU tensor moves; nerve's parallelism is MPI"
    ),
    ".func": dict.fromkeys(
        ["grad", "hessian", "jvp", "vjp"],
        "torch.func's transforms return functions; nerve.autograd.functional has the "
        "value-returning forms only",
    ),
    ".cuda": dict.fromkeys(
        "BFloat16Tensor BoolTensor ByteTensor CharTensor DoubleTensor FloatTensor "
        "HalfTensor IntTensor LongTensor ShortTensor".split(),
        "legacy CUDA tensor types",
    ),
    ".distributed": {"log": "torch.distributed's logger object"},
}

# a typing helper or a module that torch happens to import is not a name it offers
_NOT_OFFERED = {"typing", "__future__", "collections.abc", "builtins"}


def _public(m) -> set:
    return {n for n in dir(m) if not n.startswith("_")}


def _faces():
    return {
        f: (importlib.import_module("nerve" + f), importlib.import_module("torch" + f))
        for f in FACES
    }


def _offered(faces) -> set:
    out = set()
    for ours, _ in faces.values():
        out |= _public(ours)
    return out


def _missing(face, faces, offered) -> set:
    ours, theirs = faces[face]
    out = set()
    for name in _public(theirs) & offered:
        obj = getattr(theirs, name)
        if isinstance(obj, types.ModuleType) or name in ("annotations", "Tensor"):
            continue
        if getattr(obj, "__module__", None) in _NOT_OFFERED:
            continue
        if not hasattr(ours, name):
            out.add(name)
    return out


@pytest.mark.parametrize("face", FACES, ids=lambda f: "nerve" + f)
def test_names_nerve_offers_are_where_torch_has_them(face):
    faces = _faces()
    missing = _missing(face, faces, _offered(faces))
    known = set(ELSEWHERE.get(face, {}))
    assert not missing - known, f"torch{face} has these and nerve offers them elsewhere"
    assert not known - missing, f"reachable now: take them off ELSEWHERE[{face!r}]"


def test_the_top_level_spellings_compute_what_torch_computes():
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((3, 4, 3, 3)).astype(np.float32)
    for name, args in [
        ("conv2d", (w,)),
        ("selu", ()),
        ("celu", ()),
        ("hardshrink", ()),
        ("pixel_shuffle", (2,)),
        ("threshold", (0.1, 20.0)),
        ("cosine_similarity", (x[::-1].copy(),)),
    ]:
        nargs = [nerve.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        ours = getattr(nerve, name)(nerve.tensor(x), *nargs)
        theirs = getattr(torch, name)(torch.tensor(x), *targs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)
