"""LightningModel: what it logs, how it optimises, and evaluation in eval mode."""

import copy
import os

import pytest
import torch
import torch.nn.functional as F

from grader.core.i18n import msg
from grader.testkit.harness import exercise, probe
from grader.testkit.toy_models import DropoutProbe, mnist_loaders, small_net

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
    """Any form Lightning accepts: an optimizer, ``[optimizer]``, ``[optimizer],
    [scheduler]`` or ``{"optimizer": ..., "lr_scheduler": ...}``."""
    opt = probe("lightning_optimizer", lm, small_net(), 0.05)
    held = ({"en": "in no form Lightning accepts", "vi": "ở dạng mà Lightning không chấp nhận"}
            if opt["count"] is None else
            {"en": f"with {opt['count']} optimizers", "vi": f"có {opt['count']} optimizer"})
    assert opt["count"] == 1, msg(
        f"configure_optimizers() returned a {opt['form']} {held['en']}; return one optimizer (alone, in a list, or with a scheduler as [optimizer], "
        "[scheduler] or {'optimizer': ..., 'lr_scheduler': ...})",
        f"configure_optimizers() trả về một {opt['form']} {held['vi']}; hãy trả về một optimizer (riêng nó, trong một list, hoặc kèm scheduler dạng "
        "[optimizer], [scheduler] hay {'optimizer': ..., 'lr_scheduler': ...})")
    assert opt["is_sgd"], msg(
        f"the optimizer is {opt['type']}; the class docstring and the README ask for SGD "
        "(torch.optim.SGD), plain stochastic gradient descent",
        f"optimizer là {opt['type']}; docstring của lớp và README yêu cầu SGD "
        "(torch.optim.SGD), hạ gradient ngẫu nhiên thông thường")
    assert opt["lr"] == 0.05, msg(
        f"lr is {opt['lr']}; use the learning_rate passed to LightningModel",
        f"lr là {opt['lr']}; hãy dùng learning_rate truyền vào LightningModel")
    assert opt["all_params"], msg("optimise all the model's parameters",
                                  "hãy tối ưu mọi tham số của mô hình")


@pytest.mark.reported
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


def _batches(seed: int, n: int = 96):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_training_step_returns_the_cross_entropy_of_the_batch():
    """Inputs drawn here, the expected loss computed here: the grader's own verdict."""
    seed = int.from_bytes(os.urandom(4), "little") % 2 ** 31  # unknown in advance
    torch.manual_seed(seed)
    net = small_net()
    mirror = copy.deepcopy(net)
    x, y = _batches(seed, 16)
    model = lm.LightningModel(net, 0.1)
    model.train()
    loss = model.training_step((x, y), 0)
    mirror.train()
    with torch.no_grad():
        expected = F.cross_entropy(mirror(x), y)
    ok = isinstance(loss, torch.Tensor) and loss.dim() == 0 and torch.allclose(
        loss.detach().float(), expected, atol=1e-5)
    assert ok, msg(
        f"training_step((x, y), 0) returned {loss!r}; expected the cross-entropy loss of the "
        f"batch, a scalar tensor {float(expected):.6f} (F.cross_entropy(self(x), y))",
        f"training_step((x, y), 0) trả về {loss!r}; cần giá trị loss cross-entropy của batch, "
        f"một tensor vô hướng {float(expected):.6f} (F.cross_entropy(self(x), y))")


def _accuracy_case(seed: int):
    """100 images in batches of 32, 32, 32 and 4, and labels such that the three full
    batches are 3/4 right and the last one all right, in evaluation mode: 76 of 100 images
    (0.76), where a mean of the batches' accuracies gives 0.8125."""
    x, _ = _batches(seed, 100)
    model = DropoutProbe(seed)
    model.eval()
    with torch.no_grad():
        y = model(x).argmax(1)
    wrong = torch.arange(0, 96, 4)  # one in four of the full batches
    y[wrong] = y[wrong] % 9 + 1  # another class, and never class 0
    return model, x, y


def test_compute_accuracy_uses_eval_mode():
    """Deterministic: ``DropoutProbe`` predicts class 0 for every image in training mode
    (its Dropout(p=1) zeroes the logits) and never class 0 in evaluation mode, and no label
    is 0. Without ``model.eval()`` the accuracy is 0 on every run."""
    from torch.utils.data import DataLoader, TensorDataset

    seed = int.from_bytes(os.urandom(4), "little") % 2 ** 31  # unknown in advance
    model, x, y = _accuracy_case(seed)
    model.train()
    got = lm.compute_accuracy(model, DataLoader(TensorDataset(x, y), batch_size=32))
    assert isinstance(got, float) and got != 0.0, msg(
        f"compute_accuracy(model, loader) returned {got!r} for a model that predicts class 0 "
        "in training mode and the right class of 76 of 100 images in evaluation mode "
        "(expected 0.76): call model.eval() first, or Dropout and BatchNorm behave as in "
        "training",
        f"compute_accuracy(model, loader) trả về {got!r} với một mô hình dự đoán lớp 0 ở chế "
        "độ huấn luyện và dự đoán đúng 76 trên 100 ảnh ở chế độ eval (cần 0.76): hãy gọi "
        "model.eval() trước, nếu không Dropout và BatchNorm hoạt động như khi huấn luyện")


def test_compute_accuracy_counts_images_not_batches():
    """Batches of 32, 32, 32 and 4 (the last one smaller, as a loader gives it): 76 of 100
    images right is 0.76; the mean of the four batches' accuracies would be 0.8125."""
    from torch.utils.data import DataLoader, TensorDataset

    seed = int.from_bytes(os.urandom(4), "little") % 2 ** 31  # unknown in advance
    model, x, y = _accuracy_case(seed)
    got = lm.compute_accuracy(model, DataLoader(TensorDataset(x, y), batch_size=32))
    assert isinstance(got, float) and got == pytest.approx(0.76, abs=1e-4), msg(
        f"compute_accuracy(model, loader) returned {got!r}; expected 0.76 as a float: 76 of "
        "100 images are right (in evaluation mode). The loader gives batches of 32, 32, 32 and "
        "4: count the right predictions over all images and divide by the number of images, "
        "not the mean of the batches' accuracies (0.8125)",
        f"compute_accuracy(model, loader) trả về {got!r}; cần 0.76 kiểu float: 76 trên 100 "
        "ảnh được dự đoán đúng (ở chế độ eval). Loader cho các batch 32, 32, 32 và 4: hãy đếm "
        "số dự đoán đúng trên mọi ảnh rồi chia cho số ảnh, không lấy trung bình độ chính xác "
        "của các batch (0.8125)")
