"""The primitives: one family per file, each op a Function with forward and backward."""


def __getattr__(name: str):
    # nerve.ops.roi_pool (torchvision's spelling is torchvision.ops.roi_pool); resolved
    # lazily because tensor.py imports this package before the ops can load.
    if name == "roi_pool":
        from nerve.ops.roi import roi_pool

        return roi_pool
    raise AttributeError(f"module 'nerve.ops' has no attribute '{name}'")
