"""``cnnkit figures``: the lecture's pictures, drawn with the target's own code."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from grader.core import paths
from grader.testkit import targets

LAYER_TITLES = ("Layer 1 - edges / Lớp 1 - Phát hiện cạnh",
                "Layer 2 - shapes / Lớp 2 - Học hình dạng",
                "Layer 3 - whole patterns / Lớp 3 - Học đặc trưng tổng thể")


def _save(fig, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    return path


def _sample_images(n: int = 6):
    import numpy as np
    from PIL import Image

    from grader.course.data import DataMissing, locate

    try:
        root = locate("cifar10-jpg", fetch_missing=False) / "cifar10-jpg" / "test"
        files = [sorted(d.iterdir())[0] for d in sorted(root.iterdir())[:n]]
    except DataMissing:
        files = [paths.solutions_dir() / "01_cnn" / "fish.png"] * n
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def draw_all(target: str | None, out: Path) -> list[Path]:
    import torch

    out.mkdir(parents=True, exist_ok=True)
    written = []
    fm = targets.import_exercise(targets.target_topic_dir(target, "01_cnn"), "feature_maps")
    models = targets.import_exercise(targets.target_topic_dir(target, "01_cnn"), "models")
    fish = targets.target_topic_dir(target, "01_cnn") / "fish.png"
    if not fish.is_file():
        fish = paths.solutions_dir() / "01_cnn" / "fish.png"
    _, tensor = fm.load_image(fish, size=64)
    torch.manual_seed(0)
    for i, (maps, title) in enumerate(zip(fm.feature_maps(models.ML_CNN(), tensor),
                                          LAYER_TITLES), 1):
        written.append(_save(fm.plot_feature_maps(maps, title), out / f"feature_maps_{i}.png"))
    aug = targets.import_exercise(targets.target_topic_dir(target, "02_training"), "augmentation")
    grid = aug.augmentation_grid(_sample_images(), aug.build_train_transform())
    written.append(_save(grid, out / "augmentation_grid.png"))
    return written
