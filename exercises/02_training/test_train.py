"""train_mnist: a short smoke run that writes what a graded run writes."""

import pytest
import torch

from grader.core.i18n import msg
from grader.lab import heldout_images, reference_eval, weights_io
from grader.testkit import mnist_splits
from grader.testkit.harness import exercise, probe

train = exercise(__file__, "train")

# in_memory=False: a few batches are decoded as they are read, not all 70,000 images first.
# 4 epochs of 10 batches: 40 SGD steps, and an epoch count that is neither profile's (2, 10)
SMOKE = dict(max_epochs=4, limit_train_batches=10, limit_val_batches=5, limit_test_batches=20,
             batch_size=64, in_memory=False)
_RUN: dict = {}


def _smoke_run():
    """One smoke run for this file (4 epochs of 10 SGD steps). Its trained weights are judged here, in
    the lecture's network, on 300 test images this test picked and moved by a secret
    pixel: the run never sees them."""
    if "run" not in _RUN:
        held = heldout_images.mnist(heldout_images.new_secret(), n=300)
        run = probe("training_run", train, "train_mnist", dict(profile="quick", seed=7,
                                                               **SMOKE))
        _RUN["run"] = (run, held)
    return _RUN["run"]


def test_trained_weights_classify_held_out_images():
    run, held = _smoke_run()
    result = run["result"]
    try:
        state = weights_io.checked_state_dict(result.get("weights"))
        predictions = reference_eval.mnist_predictions(state, held.images)
    except weights_io.BadWeights as exc:
        pytest.fail(msg(
            f"train_mnist(...) returned result['weights'] that the lecture's PyTorchCNN cannot "
            f"take: {exc.why['en']}. The grader loads your trained weights into the slide's "
            "network and measures the accuracy itself; the code after your TODOs hands back "
            "`model.model.state_dict()`: keep the name `model` for the LightningModel around "
            "PyTorchCNN(10)",
            f"train_mnist(...) trả về result['weights'] mà mạng PyTorchCNN của bài giảng không "
            f"nhận được: {exc.why['vi']}. Trình chấm nạp trọng số đã huấn luyện của bạn vào "
            "mạng trong slide và tự đo độ chính xác; đoạn mã sau các TODO trả về "
            "`model.model.state_dict()`: hãy giữ tên `model` cho LightningModel bọc "
            "PyTorchCNN(10)"))
    accuracy = heldout_images.score(predictions, held.labels)
    assert accuracy > 0.5, msg(
        f"after 40 SGD steps your trained weights, in the lecture's network, classify "
        f"{accuracy:.0%} of 300 held-out test images right (measured by the test, on images "
        "moved by one pixel); a working run beats chance (10%) by far: check the loss, the "
        "optimizer and its learning rate, and that fit() runs",
        f"sau 40 bước SGD, trọng số bạn huấn luyện, đặt trong mạng của bài giảng, phân loại "
        f"đúng {accuracy:.0%} trong 300 ảnh test giữ riêng (bài kiểm tra tự đo, trên ảnh dịch "
        "một điểm ảnh); lần chạy đúng vượt xa mức đoán ngẫu nhiên (10%): hãy kiểm tra hàm "
        "loss, optimizer và learning rate của nó, và fit() có chạy không")


@pytest.mark.reported
def test_smoke_run_returns_and_writes_results():
    run, _ = _smoke_run()
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


@pytest.mark.reported
def test_runs_are_deterministic():
    """Two runs with one seed end with the same weights (eight SGD steps are enough for a
    difference of initialisation, shuffling or data to show in the weights) and report
    the same test_acc."""
    tiny = dict(max_epochs=1, limit_train_batches=8, limit_val_batches=2, limit_test_batches=4,
                in_memory=False)
    a = probe("training_run", train, "train_mnist", dict(profile="quick", seed=3, **tiny))["result"]
    b = probe("training_run", train, "train_mnist", dict(profile="quick", seed=3, **tiny))["result"]
    weights = [weights_io.checked_state_dict(run.get("weights")) for run in (a, b)]
    differ = sorted(name for name, t in weights[0].items()
                    if not torch.equal(t, weights[1].get(name, t.new_empty(0))))
    shown = ", ".join(differ[:3]) + (", ..." if len(differ) > 3 else "")
    assert not differ, msg(
        f"two runs of train_mnist(seed=3) ended with different weights ({shown}): after the "
        "given training.make_deterministic(seed), nothing may draw a new seed (torch.seed(), "
        "an unseeded generator), and the Trainer must be deterministic",
        f"hai lần chạy train_mnist(seed=3) cho ra trọng số khác nhau ({shown}): sau lệnh "
        "training.make_deterministic(seed) có sẵn, không được lấy seed mới (torch.seed(), "
        "generator không có seed), và Trainer phải tất định (deterministic)")
    assert a["test_acc"] == b["test_acc"], msg(
        f"two runs with seed 3 gave test_acc {a['test_acc']} and {b['test_acc']}: seed everything "
        "(seed_everything) and use a deterministic Trainer",
        f"hai lần chạy với seed 3 cho test_acc {a['test_acc']} và {b['test_acc']}: hãy cố định "
        "mọi seed (seed_everything) và dùng Trainer tất định (deterministic)")


def _measured(state, split: str, batches: int):
    """How many of the images the run's ``split`` loader gave in ``batches`` batches the
    returned weights classify right, measured here; and how many images those are."""
    n = batches * SMOKE["batch_size"]
    images, labels = (mnist_splits.validation_split if split == "val" else
                      mnist_splits.test_split)(n)
    return mnist_splits.correct_count(state, images, labels), n


def test_reported_metrics_are_what_they_say():
    """The trusted side measures the returned weights itself: ``val_acc`` on the validation
    split, ``test_acc`` on the test split, each the fraction of images right (1 image of
    slack for rounding), and BatchNorm's ``num_batches_tracked`` counts the training steps
    that ``max_epochs`` allows."""
    run, _ = _smoke_run()
    result = run["result"]
    try:
        state = weights_io.checked_state_dict(result.get("weights"))
    except weights_io.BadWeights as exc:
        pytest.fail(msg(f"result['weights'] is unusable: {exc.why['en']}",
                        f"result['weights'] không dùng được: {exc.why['vi']}"))
    steps = SMOKE["max_epochs"] * SMOKE["limit_train_batches"]
    tracked = sorted({int(t) for name, t in state.items() if name.endswith("num_batches_tracked")})
    assert tracked == [steps], msg(
        f"train_mnist(max_epochs={SMOKE['max_epochs']}, limit_train_batches="
        f"{SMOKE['limit_train_batches']}) returned weights whose BatchNorm layers saw {tracked} "
        f"training batches; expected {steps}: give the Trainer the profile's max_epochs "
        "(settings['max_epochs'], which the overrides replace), not a number of your own",
        f"train_mnist(max_epochs={SMOKE['max_epochs']}, limit_train_batches="
        f"{SMOKE['limit_train_batches']}) trả về trọng số mà các lớp BatchNorm đã thấy {tracked} "
        f"batch huấn luyện; cần {steps}: hãy truyền cho Trainer max_epochs của cấu hình "
        "(settings['max_epochs'], giá trị được overrides thay thế), không tự đặt một số khác")
    for key, split, batches, where in (
            ("val_acc", "val", SMOKE["limit_val_batches"],
             {"en": "the validation split (the 5,000 images random_split sets aside with seed "
                    "42)", "vi": "tập validation (5,000 ảnh random_split tách ra với seed 42)"}),
            ("test_acc", "test", SMOKE["limit_test_batches"],
             {"en": "the test split (the 10,000 MNIST test images, train=False)",
              "vi": "tập test (10,000 ảnh test của MNIST, train=False)"})):
        right, n = _measured(state, split, batches)
        reported = result.get(key)
        ok = isinstance(reported, (int, float)) and abs(float(reported) * n - right) <= 1.0
        assert ok, msg(
            f"train_mnist reported {key}={reported!r}, but its returned weights classify "
            f"{right} of the first {n} images of {where['en']} right ({right / n:.4f}, measured "
            f"by the test in eval mode): {key} must be the accuracy on {where['en']}, the "
            "fraction of images right after training (fit, then trainer.test on the "
            "datamodule's test loader), not another split's nor the training accuracy",
            f"train_mnist báo {key}={reported!r}, nhưng trọng số nó trả về phân loại đúng "
            f"{right} trên {n} ảnh đầu tiên của {where['vi']} ({right / n:.4f}, bài kiểm tra tự "
            f"đo ở chế độ eval): {key} phải là độ chính xác trên {where['vi']}, tỉ lệ ảnh đúng "
            "sau khi huấn luyện (fit, rồi trainer.test trên test loader của datamodule), không "
            "phải của tập khác hay độ chính xác khi huấn luyện")
