"""LightningModel: what it logs, how it optimises, and evaluation in eval mode."""

import pytest
import torch

from grader.core.i18n import msg
from grader.testkit.harness import exercise, probe
from grader.testkit.toy_models import ModeProbe, mnist_loaders, small_net

lm = exercise(__file__, "lightning_model")


@pytest.mark.reported
def test_fast_dev_run_logs_the_four_metrics():
    facts = probe("lightning_fast_dev_run", lm, small_net(), 0)
    logged = set(facts["logged"])
    missing = {"train_loss", "train_acc", "val_acc"} - logged
    assert not missing, msg(
        f"after one training and one validation batch, {sorted(missing)} were not logged "
        f"(logged: {sorted(logged)}): call self.log('train_loss', ...) in training_step and "
        "self.log('val_acc', ...) in validation_step",
        f"sau một batch huấn luyện và một batch validation, {sorted(missing)} chưa được ghi "
        f"log (đã ghi: {sorted(logged)}): hãy gọi self.log('train_loss', ...) trong "
        "training_step và self.log('val_acc', ...) trong validation_step")
    tested = facts["tested"]
    assert tested and "test_acc" in tested[0], msg(
        f"trainer.test returned {tested}; log 'test_acc' in test_step",
        f"trainer.test trả về {tested}; hãy ghi log 'test_acc' trong test_step")
    assert 0.0 <= tested[0]["test_acc"] <= 1.0, msg("accuracy is a fraction between 0 and 1",
                                                     "độ chính xác là một tỉ lệ giữa 0 và 1")


@pytest.mark.reported
def test_optimizer_is_sgd_with_the_learning_rate():
    opt = probe("lightning_optimizer", lm, small_net(), 0.05)
    assert opt["is_sgd"], msg(f"the optimizer is {opt['type']}; the lecture uses SGD",
                              f"optimizer là {opt['type']}; bài giảng dùng SGD")
    assert opt["lr"] == 0.05, msg(
        f"lr is {opt['lr']}; use the learning_rate passed to LightningModel",
        f"lr là {opt['lr']}; hãy dùng learning_rate truyền vào LightningModel")
    assert opt["all_params"], msg("optimise all the model's parameters",
                                  "hãy tối ưu mọi tham số của mô hình")


def test_validation_accuracy_is_exact():
    torch.manual_seed(0)
    net = small_net()
    got = probe("lightning_val_acc", lm, net, 0)
    _, val = mnist_loaders()
    net.eval()
    with torch.no_grad():
        hits = sum(int((net(x).argmax(1) == y).sum()) for x, y in val)
    expected = hits / len(val.dataset)
    assert got == pytest.approx(expected, abs=1e-6), msg(
        f"val_acc is {got:.6f}, expected {expected:.6f} ({hits} of {len(val.dataset)} right, "
        "computed with argmax of the logits in eval mode)",
        f"val_acc là {got:.6f}, cần {expected:.6f} (đúng {hits} trên {len(val.dataset)}, tính "
        "bằng argmax của logits ở chế độ eval)")


def test_compute_accuracy_uses_eval_mode():
    torch.manual_seed(0)
    model = ModeProbe()
    model.train()
    with torch.no_grad():  # give BatchNorm running statistics unlike any batch
        model.net[1].running_mean.fill_(3.0)
    facts = probe("compute_accuracy_modes", lm, model)
    modes, got = facts["modes"], facts["accuracy"]
    assert modes and not any(modes), msg(
        "compute_accuracy ran the model in training mode: call model.eval() first, or "
        "BatchNorm normalises with the statistics of each batch instead of its running ones",
        "compute_accuracy chạy mô hình ở chế độ huấn luyện: hãy gọi model.eval() trước, nếu "
        "không BatchNorm sẽ chuẩn hoá bằng thống kê của từng batch thay vì thống kê tích luỹ "
        "(running statistics)")
    _, val = mnist_loaders()
    model.eval()
    with torch.no_grad():
        hits = sum(int((model(x).argmax(1) == y).sum()) for x, y in val)
    assert isinstance(got, float) and got == pytest.approx(hits / len(val.dataset)), msg(
        f"compute_accuracy returned {got!r}; expected {hits / len(val.dataset):.4f} as a float",
        f"compute_accuracy trả về {got!r}; cần {hits / len(val.dataset):.4f} kiểu float")
