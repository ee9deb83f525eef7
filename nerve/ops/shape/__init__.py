"""Ops that move elements: reshapes, indexing, scatters, padding, rearrangements."""
