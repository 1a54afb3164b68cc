"""Accuracy measured by the trusted side: a run's weights in the lecture's architecture.

A graded run hands back its trained weights (a state dict, read by ``weights_io``). The
trusted side loads them into the architecture the lecture fixes and classifies held-out
images itself, with the lecture's test preprocessing; no student code runs here.

- MNIST: the slide's ``PyTorchCNN``. Built from the reference solution when the kit has
  it, else from the layer list the visible tests ship (``expected_cnn.pt``): the same
  network either way.
- Transfer, variant 1: the frozen reference backbone (its ImageNet weights and
  preprocessing) with the student's head; the head is evaluated on the backbone's
  features of the held-out images, computed here.

The student's entries are mapped onto the reference's by order and shape (the unit tests
already require the same learnable layers, whatever their attribute names). Weights that
do not map raise ``BadWeights`` with the first mismatch, in English and Vietnamese.
"""

from __future__ import annotations

import torch

from grader.core import paths
from grader.lab import weights as kit_weights
from grader.lab.weights_io import BadWeights

SKIPPED = ("num_batches_tracked",)  # a counter, not a weight: never needed to predict


def _entries(state: dict) -> list[tuple[str, torch.Tensor]]:
    return [(n, t) for n, t in state.items() if not n.rsplit(".", 1)[-1] in SKIPPED]


def load_by_order(model: torch.nn.Module, state: dict) -> torch.nn.Module:
    """Copy ``state``'s tensors into ``model``'s parameters and buffers, entry by entry in
    order, each of the same shape; ``model`` is returned in evaluation mode."""
    ours, theirs = _entries(model.state_dict()), _entries(state)
    for i, ((name, mine), (given, tensor)) in enumerate(zip(ours, theirs)):
        if tuple(mine.shape) != tuple(tensor.shape):
            raise BadWeights({
                "en": f"weight {i + 1} ({given!r}) has shape {tuple(tensor.shape)}; the "
                      f"lecture's network has {tuple(mine.shape)} there ({name!r})",
                "vi": f"trọng số thứ {i + 1} ({given!r}) có kích thước {tuple(tensor.shape)}; "
                      f"mạng của bài giảng có {tuple(mine.shape)} ở vị trí đó ({name!r})"})
    if len(ours) != len(theirs):
        raise BadWeights({
            "en": f"the weights hold {len(theirs)} tensors; the lecture's network has "
                  f"{len(ours)} (its learnable layers and BatchNorm statistics, in order)",
            "vi": f"bộ trọng số có {len(theirs)} tensor; mạng của bài giảng có {len(ours)} "
                  "(các lớp học được và thống kê BatchNorm, theo thứ tự)"})
    target = model.state_dict()
    with torch.no_grad():
        for (name, _), (_, tensor) in zip(ours, theirs):
            target[name].copy_(tensor.to(target[name].dtype))
    return model.eval()


@torch.no_grad()
def predict(model: torch.nn.Module, inputs: torch.Tensor, batch_size: int = 1000):
    """The class ``model`` predicts for each input, in evaluation mode, on the CPU."""
    model.eval()
    out = [model(inputs[i:i + batch_size]).argmax(dim=1) for i in range(0, len(inputs),
                                                                          batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


# --- MNIST: the slide's network -------------------------------------------------------

def mnist_inputs(images: torch.Tensor) -> torch.Tensor:
    """Raw MNIST pixels (``uint8 N x 28 x 28``) as the lecture's test set feeds them:
    ``ToTensor()`` alone, ``N x 1 x 28 x 28`` in ``[0, 1]``."""
    images = torch.as_tensor(images)
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(f"MNIST pixels are uint8 N x 28 x 28, not {images.dtype} "
                         f"{tuple(images.shape)}")
    return images.unsqueeze(1).float().div(255)


LINKS = {"ReLU": torch.nn.ReLU, "MaxPool2d(2)": lambda: torch.nn.MaxPool2d(2),
         "flatten": lambda: torch.nn.Flatten(1)}


def network_from_layers(spec: dict) -> torch.nn.Sequential:
    """The network a layer list describes (``expected_cnn.pt``'s ``cnn10``): its learnable
    layers with their configurations, and what links them (``ReLU``, ``MaxPool2d(2)``,
    ``flatten``)."""
    parts: list[torch.nn.Module] = []
    links = spec["links"]
    for i, layer in enumerate(spec["layers"]):
        parts += [LINKS[word.strip()]() for word in links[i].split(",")
                  if word.strip() != "nothing"]
        parts.append(getattr(torch.nn, layer["kind"])(**layer["config"]))
    parts += [LINKS[word.strip()]() for word in links[-1].split(",")
              if word.strip() != "nothing"]
    return torch.nn.Sequential(*parts)


def mnist_network() -> torch.nn.Module:
    """A fresh ``PyTorchCNN(10)``: the reference solution's, or built from the shipped
    layer list where the kit has no solutions (a student bundle)."""
    folder = paths.solutions_dir() / "02_training"
    if (folder / "cnn.py").is_file():  # a plain module of torch alone: loaded as a file
        import importlib.util

        spec = importlib.util.spec_from_file_location("_cnnkit_reference_cnn", folder / "cnn.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.PyTorchCNN(num_classes=10)
    spec = torch.load(paths.exercises_dir() / "02_training" / "expected_cnn.pt",
                      weights_only=True)
    return network_from_layers(spec["cnn10"])


def mnist_predictions(state: dict, images: torch.Tensor) -> torch.Tensor:
    """The classes the lecture's CNN with weights ``state`` gives MNIST ``images``."""
    with torch.random.fork_rng():  # building the network draws initial weights
        model = mnist_network()
    return predict(load_by_order(model, state), mnist_inputs(images))


# --- transfer, variant 1: the reference backbone with the student's head ---------------

FEATURES = {"resnet18": 512, "mobilenet_v2": 1280}


def head_predictions(state: dict, features: torch.Tensor, num_classes: int = 10):
    """The classes a ``Linear(D, num_classes)`` head with weights ``state`` gives the
    backbone's ``features`` (``N x D``)."""
    head = torch.nn.Linear(features.shape[1], num_classes)
    return predict(load_by_order(head, state), features)


@torch.no_grad()
def backbone_features(backbone: str, images: torch.Tensor, image_size: int = 224,
                      batch_size: int = 200) -> torch.Tensor:
    """The frozen ImageNet ``backbone``'s features (head removed) of CIFAR-10 pixels
    (``uint8 N x 3 x H x W``), each image prepared as the lecture prepares test images:
    the weights' own ``transforms()`` (at ``image_size``), from a PIL image."""
    import torchvision
    from torchvision.transforms.functional import to_pil_image

    kit_weights.ensure_available(backbone)
    weights = kit_weights.weights_enum(backbone)
    model = torchvision.models.get_model(backbone, weights=weights)
    if backbone.startswith("resnet"):
        model.fc = torch.nn.Identity()
    else:
        model.classifier[-1] = torch.nn.Identity()
    model.eval()
    transform = weights.transforms()
    if image_size != 224:  # the quick profile's smaller images, as the reference run has them
        transform.crop_size, transform.resize_size = [image_size], [image_size]
    out = []
    for i in range(0, len(images), batch_size):
        batch = torch.stack([transform(to_pil_image(im)) for im in images[i:i + batch_size]])
        out.append(model(batch))
    return torch.cat(out) if out else torch.zeros(0, FEATURES.get(backbone, 0))
