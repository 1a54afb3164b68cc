"""Variant 1 (frozen backbone): training the head on cached features against running the
backbone every epoch, same data and epochs, measured in one run."""

import tempfile

from _timing import KIT, table
from grader.testkit import targets

train = targets.import_exercise(KIT / "solutions" / "03_transfer", "train")
common = dict(variant=1, profile="quick", backbone="mobilenet_v2", n_train=1000, n_val=200,
              n_test=500, max_epochs=10)
with tempfile.TemporaryDirectory() as tmp:
    cached = train.train_transfer(out_dir=f"{tmp}/cached", cache_features=True, **common)
    direct = train.train_transfer(out_dir=f"{tmp}/direct", cache_features=False, **common)
print("mobilenet_v2, 96 px, 1,000 train / 200 valid / 500 test images, 10 epochs:")
table([("cached features (extract once + train head)", f"{cached['seconds']:.1f} s "
        f"(extract {cached['extract_seconds']} s, head {cached['train_seconds']} s), "
        f"test_acc {cached['test_acc']:.3f}"),
       ("backbone every epoch", f"{direct['seconds']:.1f} s, test_acc {direct['test_acc']:.3f}"),
       ("speed-up", f"{direct['seconds'] / cached['seconds']:.2f}x over 10 epochs; "
        f"per extra epoch about "
        f"{direct['train_seconds'] / max(cached['train_seconds'], 1e-3):.0f}x")])
