"""The primitives: one family per file, each op a Function with forward and backward."""
