"""Elementwise arithmetic and functions, comparisons and the special functions."""
