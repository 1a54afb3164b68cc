"""Score distributions as PNG data URIs (matplotlib, no display), each with the counts it
draws: a dot plot (one dot per student) for a small class, a histogram for a large one."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass


SMALL_CLASS = 30  # below this many values a dot plot: ten bins of four students say little


@dataclass
class Histogram:
    title: str
    png_uri: str
    edges: list[float]  # bin edges, len(counts) + 1
    counts: list[int]


@dataclass
class DotPlot:
    title: str
    png_uri: str
    values: list[float]  # each distinct value drawn (rounded as shown) ...
    counts: list[int]  # ... and how many dots stand on it


def bins_for(top: float, count: int = 10) -> list[float]:
    """``count`` equal bins from 0 to ``top`` (the last one closed)."""
    top = top if top > 0 else 1.0
    return [round(top * i / count, 4) for i in range(count + 1)]


def _figure(width: float, height: float):
    import matplotlib  # lazy: keeps matplotlib out of start-up

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=96)


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def stacks(values: list[float], top: float, places: int = 2) -> tuple[list[float], list[int]]:
    """The distinct values (rounded to ``places``, clipped to 0..top) and each one's count."""
    top = top if top > 0 else 1.0
    counts: dict[float, int] = {}
    for v in values:
        key = round(min(max(float(v), 0.0), top), places)
        counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts)
    return keys, [counts[k] for k in keys]


def dot_plot(values: list[float], top: float, title: str, xlabel: str, ylabel: str,
             places: int = 2) -> DotPlot:
    """One dot per value on an axis from 0 to ``top``; equal values stacked."""
    keys, counts = stacks(values, top, places)
    fig = _figure(3.6, 2.2)
    ax = fig.subplots()
    xs = [k for k, c in zip(keys, counts) for _ in range(c)]
    ys = [i + 1 for c in counts for i in range(c)]
    ax.scatter(xs, ys, s=36, color="#3b6ea8", edgecolors="white", linewidths=0.6, zorder=3)
    ax.set_xlim(-0.03 * (top or 1.0), (top or 1.0) * 1.03)
    ax.set_ylim(0.3, max(counts, default=1) + 0.7)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#e4e7eb", zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.22, top=0.86)
    return DotPlot(title, _uri(fig), keys, counts)


def distribution(values: list[float], top: float, title: str, xlabel: str, ylabel: str,
                 bins: int = 10, places: int = 2) -> Histogram | DotPlot:
    """A dot plot below ``SMALL_CLASS`` values, a histogram of ``bins`` bins from there."""
    if len(values) < SMALL_CLASS:
        return dot_plot(values, top, title, xlabel, ylabel, places)
    return histogram(values, top, title, xlabel, ylabel, bins)


def histogram(values: list[float], top: float, title: str, xlabel: str, ylabel: str,
              bins: int = 10) -> Histogram:
    edges = bins_for(top, bins)
    clipped = [min(max(v, 0.0), edges[-1]) for v in values]
    fig = _figure(3.6, 2.2)
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
    return Histogram(title, _uri(fig), edges, [int(c) for c in counts])


def bar_chart(labels: list[str], values: list[float], title: str, xlabel: str) -> str:
    """Horizontal bars (e.g. pass rates in %), as a data URI."""
    fig = _figure(5.2, 0.28 * len(labels) + 0.9)
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
    return _uri(fig)
