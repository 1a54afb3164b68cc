"""One MNIST epoch of PyTorchCNN: the kit's LightningModel against a plain PyTorch loop,
over the same in-memory tensors, measured in one run (aim: ratio <= 1.3)."""

import time

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets

from _timing import KIT, table
from grader.testkit import targets
from grader.lab.data import locate

topic = KIT / "solutions" / "02_training"
PyTorchCNN = targets.import_exercise(topic, "cnn").PyTorchCNN
LightningModel = targets.import_exercise(topic, "lightning_model").LightningModel

torch.set_num_threads(2)
raw = datasets.MNIST(str(locate("mnist")), train=True)
x = (raw.data[:55000].float() / 255).unsqueeze(1)
y = raw.targets[:55000]
loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, drop_last=True)


def plain_epoch():
    torch.manual_seed(0)
    model = PyTorchCNN(10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    t0 = time.perf_counter()
    for xb, yb in loader:
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


class Unlogged(LightningModel):
    """The same module without self.log: what Lightning's own loop costs."""

    def training_step(self, batch, batch_idx):
        return self._shared_step(batch)[0]


def lightning_epoch(cls=LightningModel):
    torch.manual_seed(0)
    module = cls(PyTorchCNN(10), learning_rate=0.1)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)
    t0 = time.perf_counter()
    trainer.fit(module, train_dataloaders=loader)
    return time.perf_counter() - t0


plain_epoch()  # warm-up
plain = min(plain_epoch() for _ in range(2))
bare = min(lightning_epoch(Unlogged) for _ in range(2))
light = min(lightning_epoch() for _ in range(2))
print("one epoch, 55,000 MNIST images in memory, batch 64, 2 threads (best of 2):")
table([("plain PyTorch loop", f"{plain:.2f} s"),
       ("Lightning Trainer, module without logging", f"{bare:.2f} s  ({bare / plain:.2f}x)"),
       ("the kit's LightningModel + Trainer", f"{light:.2f} s"),
       ("ratio kit / plain", f"{light / plain:.2f}x  (aim <= 1.3x)")])
