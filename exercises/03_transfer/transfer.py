"""Transfer learning: reuse an ImageNet network, replace its head, choose what to train.

Variant 1 - last layer:   freeze everything, then replace the head (only it learns).
Variant 2 - last layers:  freeze everything, unfreeze the last stage, replace the head.
Variant 3 - all layers:   replace the head and train everything.

Why variant 2 unfreezes a convolutional stage: the slide says variant 2 updates "các lớp FC
cuối cùng" (the last FC layers), but ResNet18 and MobileNetV2 each end with a single FC
layer, the head, so read literally variant 2 would be variant 1. The kit follows the
slides' pictures ("fine-tune last layers": the last block of the network learns too) and
unfreezes the last stage (``layer4`` / ``features[-1]``). The tests accept both readings:
the last stage and the head trainable, or the head alone.
"""

from __future__ import annotations

import torch.nn as nn
import torchvision.models as tvm


def load_backbone(name="resnet18", weights="IMAGENET1K_V1"):
    """A torchvision ``resnet18`` or ``mobilenet_v2``; ``weights=None`` gives random weights."""
    # TODO: build the torchvision network called `name`, with these pretrained weights
    # TODO (vi): tạo mạng torchvision có tên `name`, với các trọng số đã huấn luyện trước này
    raise NotImplementedError('TODO: build the torchvision network called `name`, with these pretrained weights | vi: tạo mạng torchvision có tên `name`, với các trọng số đã huấn luyện trước này')


def load_resnet18(weights="IMAGENET1K_V1"):
    """The lecture's ResNet18, with ImageNet weights unless ``weights=None``."""
    return load_backbone("resnet18", weights)


def head_name(model) -> str:
    """Where the classifier sits: ``fc`` (ResNet) or ``classifier.1`` (MobileNetV2)."""
    return "fc" if hasattr(model, "fc") else f"classifier.{len(model.classifier) - 1}"


def last_stage(model) -> nn.Module:
    """The last feature block: ``layer4`` (ResNet) or ``features[-1]`` (MobileNetV2)."""
    return model.layer4 if hasattr(model, "layer4") else model.features[-1]


def replace_head(model, num_classes=10):
    """Put a new ``Linear(in_features, num_classes)`` where the ImageNet classifier was."""
    # TODO: the ImageNet classifier (ResNet: fc; MobileNetV2: the last classifier layer)
    # TODO: becomes a new Linear layer with the same input size and num_classes outputs
    # TODO (vi): bộ phân loại ImageNet (ResNet: fc; MobileNetV2: lớp cuối của classifier) được
    # TODO (vi): thay bằng một lớp Linear mới, cùng số đầu vào và num_classes đầu ra
    raise NotImplementedError('TODO: the ImageNet classifier (ResNet: fc; MobileNetV2: the last classifier layer) becomes a new Linear layer with the same input size and num_classes outputs | vi: bộ phân loại ImageNet (ResNet: fc; MobileNetV2: lớp cuối của classifier) được thay bằng một lớp Linear mới, cùng số đầu vào và num_classes đầu ra')


def prepare_finetuning(model, variant, num_classes=10):
    """Freeze according to ``variant`` (1, 2 or 3), then replace the head. Returns the model.

    Variant 2: the last stage and the head train (the literal reading of the slide's "last
    FC layers", the head alone, is accepted too: see the module docstring).
    """
    if variant not in (1, 2, 3):
        raise ValueError(f"variant must be 1 (last layer), 2 (last layers) or 3 (all), not {variant!r}")
    # TODO: variants 1 and 2 freeze every parameter first (requires_grad = False);
    # TODO: variant 2 then unfreezes last_stage(model); all variants end with replace_head
    # TODO (vi): biến thể 1 và 2 đóng băng mọi tham số trước (requires_grad = False); biến thể
    # TODO (vi): 2 sau đó mở lại last_stage(model); mọi biến thể kết thúc bằng replace_head
    raise NotImplementedError('TODO: variants 1 and 2 freeze every parameter first (requires_grad = False); variant 2 then unfreezes last_stage(model); all variants end with replace_head | vi: biến thể 1 và 2 đóng băng mọi tham số trước (requires_grad = False); biến thể 2 sau đó mở lại last_stage(model); mọi biến thể kết thúc bằng replace_head')


def trainable_parameter_count(model) -> int:
    """How many parameter values the optimizer will update."""
    # TODO: count only the values the optimizer will update
    # TODO (vi): chỉ đếm các giá trị mà optimizer sẽ cập nhật
    raise NotImplementedError('TODO: count only the values the optimizer will update | vi: chỉ đếm các giá trị mà optimizer sẽ cập nhật')


def preprocessing(weights):
    """The weights' own transforms (resize 256, crop 224, ImageNet mean/std), for train and test.

    ``weights`` is a torchvision weights enum, e.g. ``ResNet18_Weights.IMAGENET1K_V1``.
    """
    # TODO: a pretrained network expects the preprocessing it was trained with
    # TODO (vi): mạng đã huấn luyện trước cần đúng cách tiền xử lý mà nó đã được huấn luyện
    # TODO (vi): cùng
    raise NotImplementedError('TODO: a pretrained network expects the preprocessing it was trained with | vi: mạng đã huấn luyện trước cần đúng cách tiền xử lý mà nó đã được huấn luyện cùng')
