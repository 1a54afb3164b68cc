"""``cnnkit figures``: the lecture's pictures, drawn with the target's own code.

A figure whose exercise is not done yet is skipped with one line saying which file
to finish; the others are still drawn.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from grader.core.testfiles import kit_topic_dir
from grader.lab.data import DataMissing, locate
from grader.student.texts import say
from grader.testkit import targets
from grader.testkit.harness import describe_import_failure

LAYER_TITLES = ("Layer 1 - edges / Lớp 1 - Phát hiện cạnh",
                "Layer 2 - shapes / Lớp 2 - Học hình dạng",
                "Layer 3 - whole patterns / Lớp 3 - Học đặc trưng tổng thể")


def _save(fig, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    return path


def _fish() -> Path:
    return kit_topic_dir("01_cnn") / "fish.png"


def _sample_images(n: int = 6):
    import numpy as np
    from PIL import Image

    try:
        root = locate("cifar10-jpg", fetch_missing=False) / "cifar10-jpg" / "test"
        files = [sorted(d.iterdir())[0] for d in sorted(root.iterdir())[:n]]
    except DataMissing:
        files = [_fish()] * n
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def _feature_maps(target: str | None, out: Path) -> list[Path]:
    import torch

    topic_dir = targets.target_topic_dir(target, "01_cnn")
    fm = targets.import_exercise(topic_dir, "feature_maps")
    models = targets.import_exercise(topic_dir, "models")
    _, tensor = fm.load_image(_fish(), size=64)
    torch.manual_seed(0)
    maps = fm.feature_maps(models.ML_CNN(), tensor)
    return [_save(fm.plot_feature_maps(m, title), out / f"feature_maps_{i}.png")
            for i, (m, title) in enumerate(zip(maps, LAYER_TITLES), 1)]


def _augmentation(target: str | None, out: Path) -> list[Path]:
    aug = targets.import_exercise(targets.target_topic_dir(target, "02_training"), "augmentation")
    grid = aug.augmentation_grid(_sample_images(), aug.build_train_transform())
    return [_save(grid, out / "augmentation_grid.png")]


def _overfitting(target: str | None, out: Path) -> list[Path]:
    """Learning curves on 128 MNIST images: plain, Dropout, BatchNorm, augmentation; and
    the MNIST augmentation (rotation, shift, brightness) on a few training images."""
    import torch
    from matplotlib.figure import Figure

    from grader.testkit.mnist_splits import small_subset  # lazy: as torch, only for this figure

    ov = targets.import_exercise(targets.target_topic_dir(target, "02_training"), "overfitting")
    images, labels, val_images, val_labels = small_subset(128, 500)
    augment = ov.mnist_augmentation()
    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(2, 8)
    torch.manual_seed(0)
    for col in range(8):
        for row, shown in enumerate((images[col], augment(images[col:col + 1])[0])):
            axes[row, col].imshow(shown[0].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[row, col].axis("off")
    fig.suptitle("top: originals, bottom: mnist_augmentation() (rotation, shift, brightness)\n"
                 "trên: ảnh gốc, dưới: mnist_augmentation() (xoay, dịch, độ sáng)")
    drawn = [_save(fig, out / "mnist_augmentation.png")]
    runs = {}
    for name, build, extra in (("plain / mạng thường", {}, {}),
                               ("dropout 0.5", {"dropout": 0.5}, {}),
                               ("batchnorm", {"batchnorm": True}, {}),
                               ("augmentation / tăng cường", {}, {"augment": augment})):
        torch.manual_seed(0)
        model = ov.small_cnn(**build)
        runs[name] = ov.learning_curves(model, images, labels, val_images, val_labels,
                                        epochs=15, seed=0, **extra)
    return drawn + [_save(ov.plot_learning_curves(runs), out / "learning_curves.png")]


FIGURES = {"feature maps (01_cnn)": _feature_maps,
           "augmentation grid (02_training)": _augmentation,
           "overfitting: learning curves (02_training)": _overfitting}


def draw_all(target: str | None, out: Path, lang: str = "en") -> list[Path]:
    """Draw every figure whose code is done; print one line per figure."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in FIGURES.items():
        try:
            drawn = draw(target, out)
        except (NotImplementedError, targets.ExerciseMissing, SyntaxError, ImportError,
                DataMissing) as exc:
            why = exc.line(lang) if isinstance(exc, DataMissing) else exc \
                if isinstance(exc, targets.ExerciseMissing) else _why(exc, lang)
            print(say("figure_skipped", lang, name=name, why=why))
            continue
        for path in drawn:
            print(say("figure", lang, path=path))
        written += drawn
    return written


def _why(exc: BaseException, lang: str) -> str:
    if isinstance(exc, NotImplementedError):
        frame = exc.__traceback__
        while frame.tb_next is not None:
            frame = frame.tb_next
        file = Path(frame.tb_frame.f_code.co_filename).name
        return say("not_done", lang, file=file, error=f"NotImplementedError: {exc}")
    return describe_import_failure(Path(getattr(exc, "filename", None) or "?"), exc)
