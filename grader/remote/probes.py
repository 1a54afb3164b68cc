"""Probes: kit functions run beside the student's code, returning plain data.

Some checks need the student's objects inside a framework (a Lightning Trainer, a
DataLoader, a matplotlib figure, a patched function). A probe does that work where the
student's code lives and reports data. What a probe reports is the student's side's word:
tests use it to explain, and earn points only with checks the trusted side computes itself.
"""

from __future__ import annotations


def _error(exc: BaseException | None):
    if exc is None:
        return None
    root = exc.__cause__ or exc
    return {"type": type(root).__name__, "message": str(root)[:4000]}


def trace(model, inputs, want_record: bool):
    """``grader.testkit.layers.trace`` on the student's module: its layers as data."""
    from grader.testkit.layers import trace as run

    record = {} if want_record else None
    layers, error = run(model, inputs, record)
    return {"layers": [layer.to_data() for layer in layers], "record": record,
            "error": _error(error)}


def figure_facts(module, function: str, *args):
    """Call ``module.function(*args)``, which should return a matplotlib figure, with
    ``plt.show`` forbidden; report what the figure shows and how many pyplot figures the
    call left open besides it."""
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from matplotlib.figure import Figure

    from grader.core.i18n import pick

    def forbidden(*a, **k):
        raise AssertionError(pick({
            "en": f"{function} called plt.show(): return the figure instead",
            "vi": f"{function} đã gọi plt.show(): hãy trả về figure thay vì hiển thị"}))

    before = set(plt.get_fignums())
    saved, plt.show = plt.show, forbidden
    try:
        fig = getattr(module, function)(*args)
    finally:
        plt.show = saved
        opened = set(plt.get_fignums()) - before
        kept = {getattr(locals().get("fig"), "number", None)}
        leaked = len(opened - kept)
        for number in opened:
            plt.close(number)
    facts = {"type": type(fig).__name__, "is_figure": isinstance(fig, Figure),
             "leaked": leaked, "panels": [], "suptitle": ""}
    if not facts["is_figure"]:
        return facts
    for ax in fig.axes:
        if not ax.images:
            continue
        image = ax.images[0]
        facts["panels"].append({
            "array": torch.from_numpy(np.array(image.get_array(), dtype=np.float64)),
            "cmap": image.get_cmap().name, "axis_on": bool(ax.axison)})
    facts["suptitle"] = fig._suptitle.get_text() if fig._suptitle else ""
    return facts
