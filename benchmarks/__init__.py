"""Workloads timed side by side in nerve and PyTorch (not collected by pytest)."""
