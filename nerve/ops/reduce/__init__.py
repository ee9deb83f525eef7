"""Reductions, statistics, scans and sorting."""
