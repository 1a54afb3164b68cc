"""train_mnist: a short smoke run that writes what a graded run writes."""

import pytest
import torch

from grader.core.i18n import msg
from grader.testkit.harness import exercise, probe

train = exercise(__file__, "train")

SMOKE = dict(max_epochs=1, limit_train_batches=40, limit_val_batches=5, limit_test_batches=20)


@pytest.mark.reported
def test_smoke_run_returns_and_writes_results():
    images = torch.randint(0, 256, (30, 28, 28), dtype=torch.uint8, generator=torch.Generator()
                           .manual_seed(0))
    run = probe("training_run", train, "train_mnist", dict(profile="quick", seed=7,
                                                           eval_images=images, **SMOKE))
    result = run["result"]
    for key in ("test_acc", "val_acc", "profile", "seed", "device", "torch", "seconds"):
        assert key in result, msg(
            f"train_mnist(...) returned no {key!r}; it returned {sorted(result)}",
            f"kết quả của train_mnist(...) không có {key!r}; nó chỉ có {sorted(result)}")
    assert result["test_acc"] > 0.5, msg(
        f"after 40 SGD steps test_acc is {result['test_acc']:.3f}; a working model already beats "
        "chance (0.1) by far: check the loss, the optimizer and that fit() runs before test()",
        f"sau 40 bước SGD test_acc là {result['test_acc']:.3f}; một mô hình chạy đúng đã vượt "
        "xa mức đoán ngẫu nhiên (0.1): hãy kiểm tra hàm loss, optimizer, và fit() phải chạy "
        "trước test()")
    assert run["columns"] is not None, msg(
        f"train_mnist wrote no readable metrics CSV and result.json ({run.get('error')})",
        f"train_mnist không ghi ra metrics CSV và result.json đọc được ({run.get('error')})")
    columns = set(run["columns"])
    # train_loss is logged per step, and Lightning writes it every log_every_n_steps (default
    # 50) steps: too few for 40 batches. Whether it is logged is tested in
    # test_lightning_model.py; here only the per-epoch metrics must reach the CSV.
    assert {"train_acc", "val_acc", "test_acc"} <= columns, msg(
        f"metrics.csv has columns {sorted(columns)}; expected train_acc and val_acc (logged by "
        "LightningModel each epoch, through the Trainer's CSVLogger) and test_acc (from "
        "trainer.test(...) on the 10,000 test images after fit)",
        f"metrics.csv có các cột {sorted(columns)}; cần train_acc và val_acc (LightningModel "
        "ghi log mỗi epoch, qua CSVLogger của Trainer) và test_acc (từ trainer.test(...) trên "
        "10,000 ảnh test sau khi fit)")
    assert run["png"] == b"\x89PNG\r\n\x1a\n", msg("learning_curves.png is not a PNG",
                                                  "learning_curves.png không phải tệp PNG")
    assert run["saved"]["test_acc"] == result["test_acc"], msg(
        "result.json holds another test_acc than the one returned",
        "result.json chứa test_acc khác với giá trị được trả về")
    predictions = result.get("eval_predictions")
    assert isinstance(predictions, torch.Tensor) and predictions.shape == (30,) and int(
        predictions.min()) >= 0 and int(predictions.max()) <= 9, msg(
        "train_mnist(..., eval_images=30 images) should return one class per image in "
        f"result['eval_predictions'], not {predictions!r}: the grader measures accuracy this "
        "way. The code after your TODOs classifies them with `model` and `dm`: keep those names "
        "for the LightningModel and the datamodule",
        "train_mnist(..., eval_images=30 ảnh) phải trả về một lớp cho mỗi ảnh trong "
        f"result['eval_predictions'], chứ không phải {predictions!r}: trình chấm đo độ chính xác "
        "theo cách này. Đoạn mã sau các TODO phân loại ảnh bằng `model` và `dm`: hãy giữ đúng "
        "các tên đó cho LightningModel và datamodule")


@pytest.mark.reported
def test_runs_are_deterministic():
    tiny = dict(max_epochs=1, limit_train_batches=8, limit_val_batches=2, limit_test_batches=4)
    a = probe("training_run", train, "train_mnist", dict(profile="quick", seed=3, **tiny))["result"]
    b = probe("training_run", train, "train_mnist", dict(profile="quick", seed=3, **tiny))["result"]
    assert a["test_acc"] == b["test_acc"], msg(
        f"two runs with seed 3 gave test_acc {a['test_acc']} and {b['test_acc']}: seed everything "
        "(seed_everything) and use a deterministic Trainer",
        f"hai lần chạy với seed 3 cho test_acc {a['test_acc']} và {b['test_acc']}: hãy cố định "
        "mọi seed (seed_everything) và dùng Trainer tất định (deterministic)")
