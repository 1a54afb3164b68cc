"""Histograms as PNG data URIs (matplotlib, no display), each with the counts it draws."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass


@dataclass
class Histogram:
    title: str
    png_uri: str
    edges: list[float]  # bin edges, len(counts) + 1
    counts: list[int]


def bins_for(top: float, count: int = 10) -> list[float]:
    """``count`` equal bins from 0 to ``top`` (the last one closed)."""
    top = top if top > 0 else 1.0
    return [round(top * i / count, 4) for i in range(count + 1)]


def histogram(values: list[float], top: float, title: str, xlabel: str, ylabel: str,
              bins: int = 10) -> Histogram:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    edges = bins_for(top, bins)
    clipped = [min(max(v, 0.0), edges[-1]) for v in values]
    fig = Figure(figsize=(3.6, 2.2), dpi=96)
    ax = fig.subplots()
    counts, _, _ = ax.hist(clipped, bins=edges, color="#3b6ea8", edgecolor="white")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    # fixed margins for this one small layout: tight_layout would draw it twice
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.22, top=0.86)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return Histogram(title, uri, edges, [int(c) for c in counts])


def bar_chart(labels: list[str], values: list[float], title: str, xlabel: str) -> str:
    """Horizontal bars (e.g. pass rates in %), as a data URI."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 0.28 * len(labels) + 0.9), dpi=96)
    ax = fig.subplots()
    ax.barh(range(len(labels)), values, color="#4a9a6a")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
