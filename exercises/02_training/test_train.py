"""train_mnist: a short smoke run that writes what a graded run writes."""

import torch

from grader.testkit.harness import exercise, probe

train = exercise(__file__, "train")

SMOKE = dict(max_epochs=1, limit_train_batches=40, limit_val_batches=5, limit_test_batches=20)


def test_smoke_run_returns_and_writes_results():
    images = torch.randint(0, 256, (30, 28, 28), dtype=torch.uint8, generator=torch.Generator()
                           .manual_seed(0))
    run = probe("training_run", train, "train_mnist", dict(profile="quick", seed=7,
                                                           eval_images=images, **SMOKE))
    result = run["result"]
    for key in ("test_acc", "val_acc", "profile", "seed", "device", "torch", "seconds"):
        assert key in result, f"train_mnist(...) returned no {key!r}; it returned {sorted(result)}"
    assert result["test_acc"] > 0.5, (
        f"after 40 SGD steps test_acc is {result['test_acc']:.3f}; a working model already beats "
        "chance (0.1) by far: check the loss, the optimizer and that fit() runs before test()")
    assert run["columns"] is not None, (
        f"train_mnist wrote no readable metrics CSV and result.json ({run.get('error')})")
    columns = set(run["columns"])
    # train_loss is logged per step, and Lightning writes it every log_every_n_steps (default
    # 50) steps: too few for 40 batches. Whether it is logged is tested in
    # test_lightning_model.py; here only the per-epoch metrics must reach the CSV.
    assert {"train_acc", "val_acc", "test_acc"} <= columns, (
        f"metrics.csv has columns {sorted(columns)}; expected train_acc and val_acc (logged by "
        "LightningModel each epoch, through the Trainer's CSVLogger) and test_acc (from "
        "trainer.test(...) on the 10,000 test images after fit)")
    assert run["png"] == b"\x89PNG\r\n\x1a\n", "learning_curves.png is not a PNG"
    assert run["saved"]["test_acc"] == result["test_acc"]
    predictions = result.get("eval_predictions")
    assert isinstance(predictions, torch.Tensor) and predictions.shape == (30,) and int(
        predictions.min()) >= 0 and int(predictions.max()) <= 9, (
        "train_mnist(..., eval_images=30 images) should return one class per image in "
        f"result['eval_predictions'], not {predictions!r}: the grader measures accuracy this "
        "way. The code after your TODOs classifies them with `model` and `dm`: keep those names "
        "for the LightningModel and the datamodule")


def test_runs_are_deterministic():
    tiny = dict(max_epochs=1, limit_train_batches=8, limit_val_batches=2, limit_test_batches=4)
    a = probe("training_run", train, "train_mnist", dict(profile="quick", seed=3, **tiny))["result"]
    b = probe("training_run", train, "train_mnist", dict(profile="quick", seed=3, **tiny))["result"]
    assert a["test_acc"] == b["test_acc"], (
        f"two runs with seed 3 gave test_acc {a['test_acc']} and {b['test_acc']}: seed everything "
        "(seed_everything) and use a deterministic Trainer")
