"""What a lab returns (LabResult) and its plot helper (none without matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LabResult:
    """What a lab found: the sentence, the numbers behind it, its plot and its report."""

    name: str
    finding: str
    numbers: dict = field(default_factory=dict)
    plot: str | None = None
    report: str = ""


def save_plot(draw, *args, **kwargs) -> str | None:
    """Draw a plot, or None without matplotlib (the labs run with numpy alone)."""
    try:
        return draw(*args, **kwargs)
    except ImportError:
        return None
