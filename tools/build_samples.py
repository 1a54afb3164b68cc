"""Build the bundled sample submissions (run: python tools/build_samples.py).

alice.zip  - complete: the reference solutions of every topic;
bao.zip    - partial: some exercises solved, some stubs, two typical mistakes;
chi/       - broken: a syntax error, a conftest.py that tries to pass everything;
dung.zip   - complete, but trains MNIST with a learning rate of 1e-5: the code is right,
             the graded training falls short of its threshold.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from grader.core import manifest
from grader.core import paths
from grader.export import stubgen

OUT = paths.KIT_ROOT / "samples" / "submissions"


def _zip_folder(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*.py")):
            zf.write(f, Path("exercises") / f.relative_to(folder))


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    topics = paths.topics(paths.solutions_dir())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        alice = tmp / "alice"
        for topic in topics:
            (alice / topic).mkdir(parents=True)
            for name in manifest.load_topic(topic).files:
                shutil.copy(paths.solutions_dir() / topic / name, alice / topic / name)
        _zip_folder(alice, out / "alice.zip")

        bao = tmp / "bao"
        stubs = tmp / "stubs"
        for topic in topics:
            stubgen.generate_topic(topic, stubs)
        shutil.copytree(alice, bao)
        for rel in ("01_cnn/naive_conv.py", "03_transfer/transfer.py", "03_transfer/train.py"):
            shutil.copy(stubs / rel, bao / rel)
        cnn = bao / "02_training" / "cnn.py"  # forgot one BatchNorm
        cnn.write_text(cnn.read_text().replace(
            "torch.nn.Conv2d(3, 16, kernel_size=3),\n            torch.nn.BatchNorm2d(16),",
            "torch.nn.Conv2d(3, 16, kernel_size=3),"))
        aug = bao / "02_training" / "augmentation.py"  # flips too often
        aug.write_text(aug.read_text().replace("RandomHorizontalFlip(p=0.2)",
                                               "RandomHorizontalFlip(p=0.5)"))
        _zip_folder(bao, out / "bao.zip")

        dung = tmp / "dung"
        shutil.copytree(alice, dung)
        train = dung / "02_training" / "train.py"  # a learning rate far too small
        text = train.read_text()
        slow = text.replace('learning_rate=settings["learning_rate"])', "learning_rate=1e-5)")
        assert slow != text, "the sample dung: the reference's learning rate line moved"
        train.write_text(slow)
        _zip_folder(dung, out / "dung.zip")

    chi = out / "chi" / "01_cnn"
    if chi.parent.exists():
        shutil.rmtree(chi.parent)
    chi.mkdir(parents=True)
    params = (paths.solutions_dir() / "01_cnn" / "params.py").read_text()
    (chi / "params.py").write_text(params.replace("def linear_param_count(in_features,",
                                                  "def linear_param_count(in_features"))
    (chi / "conftest.py").write_text(
        "# tries to mark every test as passed; the grader never loads it\n"
        "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n")
    return sorted(out.iterdir())


if __name__ == "__main__":
    for p in build():
        print(p)
