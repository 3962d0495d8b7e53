"""Charts for the report as SVG data URIs: the page stays one file and makes no requests."""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")  # no display on servers

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.dates import AutoDateLocator, DateFormatter  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

BLUE = "#0b5cad"  # the widget's demo brand colour
ORANGE = "#b35900"
plt.rcParams.update(
    {
        "svg.fonttype": "path",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "cma-report",
    }
)


def _data_uri(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode()).decode()


def per_day(days: List[Dict[str, Any]]) -> str:
    """Conversations and messages per day, two lines on one time axis."""
    figure, axes = plt.subplots(figsize=(8, 3))
    labels = [date.fromisoformat(d["date"]) for d in days]
    axes.plot(labels, [d["messages"] for d in days], color=BLUE, marker="o", markersize=3, label="Messages")
    axes.plot(
        labels,
        [d["conversations"] for d in days],
        color=ORANGE,
        marker="s",
        markersize=3,
        linestyle="--",
        label="Conversations",
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=10))
    axes.xaxis.set_major_formatter(DateFormatter("%b %d"))
    axes.margins(x=0.02)
    axes.legend(frameon=False, loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    return _data_uri(figure)


def topics(rows: List[Dict[str, Any]], limit: int = 15) -> str:
    """The most asked topics as horizontal bars, the top one first."""
    rows = rows[:limit][::-1]
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(rows) + 0.8))
    bars = axes.barh([r["label"] for r in rows], [r["messages"] for r in rows], color=BLUE)
    axes.bar_label(bars, padding=3)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("Messages")
    return _data_uri(figure)
