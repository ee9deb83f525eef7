"""``nerve export CHECKPOINT out.onnx``: a task checkpoint as an ONNX model."""

from __future__ import annotations

from nerve.tensor import Tensor


def export_checkpoint(checkpoint: str, out: str, opset_version: int = 17) -> dict:
    """Rebuild the checkpoint's task model, trace it on one batch of the task's test data
    (the batch axis dynamic) and write ``out``. Returns a summary for the command."""
    from nerve.onnx.exporter import export
    from nerve.tasks.base import open_run

    task, model, _ = open_run(checkpoint)
    _, _, test_loader = task.loaders()
    batch = next(iter(test_loader))
    x = batch[0] if isinstance(batch, list | tuple) else batch
    if not isinstance(x, Tensor):
        raise TypeError(
            f"export: the task '{task.name}' gives {type(x).__name__} inputs; expected a Tensor"
        )
    x = x[:2]
    names = ["input"]
    proto = export(
        model,
        (x,),
        out,
        input_names=names,
        dynamic_axes={"input": {0: "batch"}},
        opset_version=opset_version,
    )
    return {
        "task": task.name,
        "nodes": len(proto.graph.node),
        "initializers": len(proto.graph.initializer),
        "opset": opset_version,
        "input": tuple(x.shape),
    }
