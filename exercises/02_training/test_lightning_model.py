"""LightningModel: what it logs, how it optimises, and evaluation in eval mode."""

import lightning as L
import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from grader.core.i18n import msg
from grader.course.data import locate
from grader.testkit.harness import exercise

lm = exercise(__file__, "lightning_model")


def _mnist_loaders(n_train=256, n_val=130):
    data = datasets.MNIST(str(locate("mnist")), train=True, transform=transforms.ToTensor())
    train = DataLoader(Subset(data, range(n_train)), batch_size=64, shuffle=True)
    val = DataLoader(Subset(data, range(n_train, n_train + n_val)), batch_size=64)
    return train, val


def _small_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(4),
                         nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


def _trainer(**kw):
    return L.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, **kw)


def test_fast_dev_run_logs_the_four_metrics():
    torch.manual_seed(0)
    train, val = _mnist_loaders()
    module = lm.LightningModel(_small_net(), learning_rate=0.1)
    trainer = _trainer(fast_dev_run=True)
    trainer.fit(module, train_dataloaders=train, val_dataloaders=val)
    logged = set(trainer.callback_metrics)
    missing = {"train_loss", "train_acc", "val_acc"} - logged
    assert not missing, msg(
        f"after one training and one validation batch, {sorted(missing)} were not logged "
        f"(logged: {sorted(logged)}): call self.log('train_loss', ...) in training_step and "
        "self.log('val_acc', ...) in validation_step",
        f"sau một batch huấn luyện và một batch validation, {sorted(missing)} chưa được ghi "
        f"log (đã ghi: {sorted(logged)}): hãy gọi self.log('train_loss', ...) trong "
        "training_step và self.log('val_acc', ...) trong validation_step")
    tested = trainer.test(module, dataloaders=val, verbose=False)
    assert tested and "test_acc" in tested[0], msg(
        f"trainer.test returned {tested}; log 'test_acc' in test_step",
        f"trainer.test trả về {tested}; hãy ghi log 'test_acc' trong test_step")
    assert 0.0 <= tested[0]["test_acc"] <= 1.0, msg("accuracy is a fraction between 0 and 1",
                                                     "độ chính xác là một tỉ lệ giữa 0 và 1")


def test_optimizer_is_sgd_with_the_learning_rate():
    module = lm.LightningModel(_small_net(), learning_rate=0.05)
    opt = module.configure_optimizers()
    opt = opt[0] if isinstance(opt, (list, tuple)) else opt
    opt = opt["optimizer"] if isinstance(opt, dict) else opt
    assert isinstance(opt, torch.optim.SGD), msg(
        f"the optimizer is {type(opt).__name__}; the lecture uses SGD",
        f"optimizer là {type(opt).__name__}; bài giảng dùng SGD")
    assert opt.param_groups[0]["lr"] == 0.05, msg(
        f"lr is {opt.param_groups[0]['lr']}; use the learning_rate passed to LightningModel",
        f"lr là {opt.param_groups[0]['lr']}; hãy dùng learning_rate truyền vào LightningModel")
    ids = {id(p) for g in opt.param_groups for p in g["params"]}
    assert ids == {id(p) for p in module.parameters()}, msg(
        "optimise all the model's parameters", "hãy tối ưu mọi tham số của mô hình")


def test_validation_accuracy_is_exact():
    torch.manual_seed(0)
    train, val = _mnist_loaders()
    net = _small_net()
    module = lm.LightningModel(net, learning_rate=0.1)
    got = _trainer().validate(module, dataloaders=val, verbose=False)[0]["val_acc"]
    net.eval()
    with torch.no_grad():
        hits = sum(int((net(x).argmax(1) == y).sum()) for x, y in val)
    expected = hits / len(val.dataset)
    assert got == pytest.approx(expected, abs=1e-6), msg(
        f"val_acc is {got:.6f}, expected {expected:.6f} ({hits} of {len(val.dataset)} right, "
        "computed with argmax of the logits in eval mode)",
        f"val_acc là {got:.6f}, cần {expected:.6f} (đúng {hits} trên {len(val.dataset)}, tính "
        "bằng argmax của logits ở chế độ eval)")


class _ModeProbe(nn.Module):
    """Records whether it was called in training mode; BatchNorm makes that matter."""

    def __init__(self):
        super().__init__()
        self.net = _small_net()
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.net(x)


def test_compute_accuracy_uses_eval_mode():
    torch.manual_seed(0)
    _, val = _mnist_loaders()
    probe = _ModeProbe()
    probe.train()
    with torch.no_grad():  # give BatchNorm running statistics unlike any batch
        probe.net[1].running_mean.fill_(3.0)
    got = lm.compute_accuracy(probe, val)
    assert probe.modes and not any(probe.modes), msg(
        "compute_accuracy ran the model in training mode: call model.eval() first, or "
        "BatchNorm normalises with the statistics of each batch instead of its running ones",
        "compute_accuracy chạy mô hình ở chế độ huấn luyện: hãy gọi model.eval() trước, nếu "
        "không BatchNorm sẽ chuẩn hoá bằng thống kê của từng batch thay vì thống kê tích luỹ "
        "(running statistics)")
    probe.eval()
    with torch.no_grad():
        hits = sum(int((probe(x).argmax(1) == y).sum()) for x, y in val)
    assert isinstance(got, float) and got == pytest.approx(hits / len(val.dataset)), msg(
        f"compute_accuracy returned {got!r}; expected {hits / len(val.dataset):.4f} as a float",
        f"compute_accuracy trả về {got!r}; cần {hits / len(val.dataset):.4f} kiểu float")
