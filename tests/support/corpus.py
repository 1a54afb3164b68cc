"""The corpus of valid answers, grouped so that one pytest run checks several.

Equivalents in one group touch different code and so cannot mask each other.
"""

from __future__ import annotations

from support.equivalents import Answer, Equivalent as E

# --- 01_cnn ------------------------------------------------------------------------------

ML_CNN_FORWARD = """        x1 = F.relu(self.conv1(x))
        x2 = F.relu(self.conv2(x1))
        x3 = F.relu(self.conv3(x2))
        return x1, x2, x3"""

CNN_01_A = [
    # one shared nn.ReLU used three times
    E("shared_relu_module", "models.py",
      "        self.conv3 = nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1)\n",
      "        self.conv3 = nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1)\n"
      "        self.relu = nn.ReLU()\n"),
    E("shared_relu_forward", "models.py", ML_CNN_FORWARD,
      """        x1 = self.relu(self.conv1(x))
        x2 = self.relu(self.conv2(x1))
        x3 = self.relu(self.conv3(x2))
        return x1, x2, x3"""),
    # nn.Flatten() as a module instead of torch.flatten
    E("classifier_nn_flatten", "models.py",
      "        self.fc_layer = nn.Sequential(nn.Linear(16 * 28 * 28, 100), nn.ReLU(), "
      "nn.Linear(100, 10))",
      "        self.flatten = nn.Flatten()\n"
      "        self.fc_layer = nn.Sequential(nn.Linear(12544, 100), nn.ReLU(inplace=True),\n"
      "                                      nn.Linear(100, 10))"),
    E("classifier_flatten_call", "models.py", "return self.fc_layer(torch.flatten(x3, 1))",
      "return self.fc_layer(self.flatten(x3))"),
    # the Tensor method .relu() and x.view in the MLP
    E("mlp_relu_method", "models.py", """        x = torch.flatten(x, 1)
        x = F.relu(self.Linear1(x))
        x = F.relu(self.Linear2(x))
        x = F.relu(self.Linear3(x))
        return self.output(x)""", """        x = x.view(x.size(0), -1)
        h = self.Linear1(x).relu()
        h = torch.relu(self.Linear2(h))
        h = self.Linear3(h).relu_()
        return self.output(h)"""),
    # bilinear resize, as cv2.resize does on the slide; numpy/torch spelled differently
    E("load_image_bilinear", "feature_maps.py", """    with Image.open(path) as img:
        gray = img.convert("L").resize((size, size))
    array = np.asarray(gray, dtype=np.float64) / 255.0
    tensor = torch.tensor(array, dtype=torch.float32).unsqueeze(0).unsqueeze(0)
    return array, tensor""", """    img = Image.open(path).convert("L")
    img = img.resize((size, size), Image.BILINEAR)
    pixels = np.array(img).astype(np.float32) / 255
    return pixels, torch.from_numpy(pixels)[None, None]"""),
    # plt.subplots as on the slide, returning the figure
    E("plot_with_pyplot", "feature_maps.py", """    channels = maps.shape[1]
    fig = Figure(figsize=(max(2.0 * channels, 4.0), 2.6))
    axes = fig.subplots(1, channels, squeeze=False)[0]
    for i, ax in enumerate(axes):
        ax.imshow(maps[0, i].detach().cpu().numpy(), cmap="gray")
        ax.axis("off")
    fig.suptitle(title, fontsize=14)
    return fig""", """    import matplotlib.pyplot as plt

    num_filters = maps.shape[1]
    fig, axes = plt.subplots(1, num_filters, figsize=(15, 5))
    for i in range(num_filters):
        axes[i].imshow(maps[0, i].cpu().numpy(), cmap='gray')
        axes[i].axis("off")
    plt.suptitle(title, fontsize=14)
    return fig"""),
    # a naive convolution with explicit loops over channels and a preallocated output
    E("naive_conv_loops", "naive_conv.py", """    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    x = F.pad(x, (pw, pw, ph, ph))
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    out_h = (h - kh) // sh + 1
    out_w = (w - kw) // sw + 1
    rows = []
    for i in range(out_h):
        cols = []
        for j in range(out_w):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]  # sparse: k x k only
            cols.append(torch.einsum("nchw,ochw->no", window, weight))  # shared weights
        rows.append(torch.stack(cols, dim=-1))
    out = torch.stack(rows, dim=-2)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out""", """    sy, sx = (stride, stride) if isinstance(stride, int) else stride
    py, px = (padding, padding) if isinstance(padding, int) else padding
    batch, channels, height, width = x.shape
    padded = torch.zeros(batch, channels, height + 2 * py, width + 2 * px, dtype=x.dtype)
    padded[:, :, py:py + height, px:px + width] = x
    filters, _, ky, kx = weight.shape
    out_h = (height + 2 * py - ky) // sy + 1
    out_w = (width + 2 * px - kx) // sx + 1
    result = torch.zeros(batch, filters, out_h, out_w, dtype=x.dtype)
    for f in range(filters):
        for r in range(out_h):
            for c in range(out_w):
                patch = padded[:, :, r * sy:r * sy + ky, c * sx:c * sx + kx]
                result[:, f, r, c] = (patch * weight[f]).sum(dim=(1, 2, 3))
        if bias is not None:
            result[:, f] += bias[f]
    return result"""),
    # math.prod and another spelling of the formulas
    E("params_prod", "params.py", "return int(sum(p.numel() for p in model.parameters()\n"
      "                   if p.requires_grad or not trainable_only))",
      "total = 0\n    for p in model.parameters():\n"
      "        if trainable_only and not p.requires_grad:\n            continue\n"
      "        total += p.numel()\n    return total"),
]

CNN_01_B = [
    # the slide's keyword arguments, (3, 3) kernels, torch.relu and an in-place ReLU module
    E("ml_cnn_keywords", "models.py",
      """        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3, stride=1, padding=1)
        self.conv3 = nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1)""",
      """        self.conv1 = nn.Conv2d(in_channels=1, out_channels=4, kernel_size=3,
                               stride=1, padding=1)
        self.conv2 = nn.Conv2d(in_channels=4, out_channels=8, kernel_size=(3, 3),
                               stride=(1, 1), padding=(1, 1))
        self.conv3 = nn.Conv2d(in_channels=8, out_channels=16, kernel_size=3,
                               padding="same")"""),
    E("ml_cnn_loop_forward", "models.py", ML_CNN_FORWARD,
      """        maps = []
        for conv in (self.conv1, self.conv2, self.conv3):
            x = torch.relu(conv(x))
            maps.append(x)
        return tuple(maps)"""),
    E("classifier_view", "models.py", "return self.fc_layer(torch.flatten(x3, 1))",
      "return self.fc_layer(x3.view(x3.size(0), -1))"),
    E("mlp_relu_modules", "models.py", """        x = torch.flatten(x, 1)
        x = F.relu(self.Linear1(x))
        x = F.relu(self.Linear2(x))
        x = F.relu(self.Linear3(x))
        return self.output(x)""", """        x = nn.Flatten()(x)
        for layer in (self.Linear1, self.Linear2, self.Linear3):
            x = nn.ReLU(inplace=True)(layer(x))
        logits = self.output(x)
        return logits"""),
    # Figure closed by the student is fine too; plt.suptitle on a pyplot figure
    E("plot_pyplot_closed", "feature_maps.py", """    channels = maps.shape[1]
    fig = Figure(figsize=(max(2.0 * channels, 4.0), 2.6))""", """    import matplotlib.pyplot as plt

    channels = maps.shape[1]
    fig = plt.figure(figsize=(12, 3))
    plt.close(fig)"""),
    E("feature_maps_inference_mode", "feature_maps.py", """    with torch.no_grad():
        out = model(image)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)""",
      """    with torch.inference_mode():
        maps = model(image)
    if isinstance(maps, torch.Tensor):
        maps = [maps]
    return tuple(maps)"""),
    E("naive_conv_unfold_free_sum", "naive_conv.py",
      'cols.append(torch.einsum("nchw,ochw->no", window, weight))  # shared weights',
      "cols.append((window.unsqueeze(1) * weight.unsqueeze(0)).sum(dim=(2, 3, 4)))"),
    E("storage_bytes_loop", "params.py", """    total = sum(p.numel() * p.element_size() for p in model.parameters())
    return float(total / (1024 ** 3))""", """    storage_memory = 0.0
    for name, param in model.named_parameters():
        storage_memory += (param.numel() * param.element_size()) / (1024 ** 3)
    return storage_memory"""),
]


# --- 02_training -------------------------------------------------------------------------

CNN_BLOCKS = """        self.cnn_layers = torch.nn.Sequential(
            # block 01
            torch.nn.Conv2d(1, 3, kernel_size=5),
            torch.nn.BatchNorm2d(3),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
            # block 02
            torch.nn.Conv2d(3, 16, kernel_size=3),
            torch.nn.BatchNorm2d(16),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
            # block 03
            torch.nn.Conv2d(16, 32, kernel_size=3),
            torch.nn.BatchNorm2d(32),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
        )"""
CNN_FC = """        self.fc_layers = torch.nn.Sequential(
            torch.nn.Linear(32, 20),
            torch.nn.BatchNorm1d(20),
            torch.nn.ReLU(),
            torch.nn.Linear(20, num_classes),
        )"""
CNN_FORWARD = """        x = self.cnn_layers(x)
        x = torch.flatten(x, start_dim=1)
        return self.fc_layers(x)"""

TRAINING_02_A = [
    # blocks built by a helper, one shared in-place ReLU, nested Sequentials
    E("cnn_blocks_helper", "cnn.py", CNN_BLOCKS, """        relu = torch.nn.ReLU(inplace=True)

        def block(c_in, c_out, k):
            return torch.nn.Sequential(torch.nn.Conv2d(c_in, c_out, k),
                                       torch.nn.BatchNorm2d(c_out), relu,
                                       torch.nn.MaxPool2d(2))

        self.cnn_layers = torch.nn.Sequential(block(1, 3, 5), block(3, 16, 3), block(16, 32, 3))"""),
    # nn.Flatten as the first module of fc_layers, and a forward that only chains
    E("cnn_flatten_in_fc", "cnn.py", CNN_FC, """        self.fc_layers = torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(32, 20), torch.nn.BatchNorm1d(20), torch.nn.ReLU(),
            torch.nn.Linear(20, num_classes))"""),
    E("cnn_forward_chain", "cnn.py", CNN_FORWARD, "        return self.fc_layers(self.cnn_layers(x))"),
    # positional ColorJitter, list means, int crop sizes
    E("augmentation_spelling", "augmentation.py", """        transforms.RandomCrop((128, 128)),
        transforms.RandomHorizontalFlip(p=0.2),
        transforms.ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),""", """        transforms.RandomCrop(128),
        transforms.RandomHorizontalFlip(0.2),
        transforms.ColorJitter(0.1, 0.1, 0.1, 0.1),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.5] * 3, std=[0.5] * 3),"""),
    # the lecture's prepare_data with a bare return, positional split lengths
    E("prepare_data_return", "datamodule.py",
      "        datasets.MNIST(root=self.data_path, download=True)\n",
      "        datasets.MNIST(self.data_path, download=True)\n        return\n"),
    E("accuracy_by_sum", "lightning_model.py",
      "        accuracy = (torch.argmax(logits, dim=1) == labels).float().mean()",
      "        predicted = logits.argmax(-1)\n"
      "        accuracy = (predicted == labels).sum() / labels.shape[0]"),
    E("optimizer_in_list", "lightning_model.py",
      "        return torch.optim.SGD(self.parameters(), lr=self.learning_rate)",
      "        optimizer = torch.optim.SGD(params=self.parameters(), lr=self.learning_rate)\n"
      "        return [optimizer]"),
    # the lecture's Trainer: Lightning's default log_every_n_steps (50)
    E("trainer_default_logging", "train.py",
      "        log_every_n_steps=training.log_interval(),\n", ""),
]

TRAINING_02_B = [
    E("cnn_view_flatten", "cnn.py", CNN_FORWARD, """        features = self.cnn_layers(x)
        logits = self.fc_layers(features.view(features.size(0), -1))
        return logits"""),
    E("eval_with_train_false", "lightning_model.py", "    model = model.eval()\n",
      "    model.train(False)\n"),
    E("log_on_epoch", "lightning_model.py", '        self.log("train_loss", loss, batch_size=n)',
      '        self.log("train_loss", loss, on_step=True, on_epoch=True, batch_size=n)'),
    # SGD with a learning-rate schedule, in Lightning's two-lists form
    E("optimizer_and_scheduler_lists", "lightning_model.py",
      "        return torch.optim.SGD(self.parameters(), lr=self.learning_rate)",
      "        optimizer = torch.optim.SGD(self.parameters(), lr=self.learning_rate)\n"
      "        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)\n"
      "        return [optimizer], [scheduler]"),
]

TRAINING_02_C = [
    # SGD and a scheduler in Lightning's dict form
    E("optimizer_dict_with_scheduler", "lightning_model.py",
      "        return torch.optim.SGD(self.parameters(), lr=self.learning_rate)",
      "        opt = torch.optim.SGD(self.model.parameters(), lr=self.learning_rate, momentum=0.0)\n"
      "        return {\n"
      '            "optimizer": opt,\n'
      '            "lr_scheduler": {"scheduler": torch.optim.lr_scheduler.ExponentialLR(\n'
      '                opt, gamma=0.9), "interval": "epoch"},\n'
      "        }"),
]

# --- 03_transfer -------------------------------------------------------------------------

FREEZE = """    if variant in (1, 2):
        for param in model.parameters():
            param.requires_grad = False
    if variant == 2:
        for param in last_stage(model).parameters():
            param.requires_grad = True
    return replace_head(model, num_classes)"""

TRANSFER_03_A = [
    E("backbone_by_getattr", "transfer.py", "    return tvm.get_model(name, weights=weights)",
      "    builder = getattr(tvm, name)\n    return builder(weights=weights)"),
    E("freeze_with_requires_grad_", "transfer.py", FREEZE, """    if variant != 3:
        model.requires_grad_(False)
        if variant == 2:
            last_stage(model).requires_grad_(True)
    model = replace_head(model, num_classes)
    return model"""),
    E("head_by_type", "transfer.py", """    if hasattr(model, "fc"):
        model.fc = nn.Linear(model.fc.in_features, num_classes)
    else:
        model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, num_classes)
    return model""", """    if isinstance(model, tvm.ResNet):
        in_features = model.fc.in_features
        model.fc = nn.Linear(in_features, num_classes)
    else:
        old = model.classifier[len(model.classifier) - 1]
        model.classifier[len(model.classifier) - 1] = nn.Linear(old.in_features, num_classes)
    return model"""),
    E("count_with_filter", "transfer.py",
      "    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))",
      "    trainable = filter(lambda p: p.requires_grad, model.parameters())\n"
      "    return sum(p.numel() for p in trainable)"),
    E("split_with_random_split", "datamodule.py", """        n_train = len(train_aug) - len(train_aug) // 10
        # the same permutation as random_split(..., generator=torch.Generator().manual_seed(42))
        order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(42))
        self.train = Subset(train_aug, order[:n_train].tolist())
        self.valid = Subset(train_plain, order[n_train:].tolist())""", """        from torch.utils.data import random_split

        n_valid = len(train_aug) // 10
        train_idx, valid_idx = random_split(range(len(train_aug)),
                                            [len(train_aug) - n_valid, n_valid],
                                            generator=torch.Generator().manual_seed(42))
        self.train = Subset(train_aug, list(train_idx))
        self.valid = Subset(train_plain, list(valid_idx))"""),
    E("datamodule_keywords", "train.py",
      """    return Cifar10DataModule(data_path, batch_size=batch_size, train_transform=transform,
                             test_transform=transform)""",
      """    return Cifar10DataModule(data_path=data_path, batch_size=batch_size, num_workers=0,
                             test_transform=transform, train_transform=transform)"""),
]

# Written as students would: a split over untransformed files whose subsets are wrapped
# with their transform; the preprocessing spelled out as a Compose of PIL transforms (the
# same values as weights.transforms()); variant 2 read as the slide's words ("the last FC
# layers": the head alone).
TRANSFER_03_B = [
    E("joint_dataset_as_a_list", "datamodule.py", """    class Moved(torch.utils.data.Dataset):
        def __len__(self):
            return len(target)

        def __getitem__(self, index):
            image, label = target[index]
            return image, int(label) + large_classes

    return torch.utils.data.ConcatDataset([large, Moved()])""", """    joint = [(image, label) for image, label in large]
    joint += [(image, label + large_classes) for image, label in target]
    return joint"""),
    E("split_wrapped_with_transform", "datamodule.py", """        train_aug = self._dataset("train", self.train_transform)
        train_plain = self._dataset("train", self.test_transform)
        n_train = len(train_aug) - len(train_aug) // 10
        # the same permutation as random_split(..., generator=torch.Generator().manual_seed(42))
        order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(42))
        self.train = Subset(train_aug, order[:n_train].tolist())
        self.valid = Subset(train_plain, order[n_train:].tolist())""", """        from torch.utils.data import Dataset, random_split

        class WithTransform(Dataset):
            def __init__(self, subset, transform):
                self.subset, self.transform = subset, transform

            def __len__(self):
                return len(self.subset)

            def __getitem__(self, i):
                image, label = self.subset[i]
                return self.transform(image), label

        files = self._dataset("train", None)
        n_valid = len(files) // 10
        train_part, valid_part = random_split(files, [len(files) - n_valid, n_valid],
                                              generator=torch.Generator().manual_seed(42))
        self.train = WithTransform(train_part, self.train_transform)
        self.valid = WithTransform(valid_part, self.test_transform)"""),
    E("preprocessing_as_compose", "transfer.py", "    return weights.transforms()\n",
      """    from torchvision import transforms as T

    return T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                      T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
"""),
    E("variant_2_the_fc_head_only", "transfer.py", FREEZE, """    if variant == 1 or variant == 2:  # variant 2: "the last FC layers" - one FC here
        for param in model.parameters():
            param.requires_grad = False
    return replace_head(model, num_classes)"""),
]

# --- 02_training: overfitting, two students' whole answers ---------------------------------
OVERFITTING_CLASS_AND_LOADER = Answer("overfitting_module_class_dataloader_v2", "overfitting.py", (
    """    import torch.nn.functional as F

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 8, 5)
            self.bn = torch.nn.BatchNorm2d(8) if batchnorm else torch.nn.Identity()
            self.fc1 = torch.nn.Linear(1152, 128)
            self.fc2 = torch.nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
            x = F.dropout(torch.flatten(x, 1), dropout, self.training)
            x = F.dropout(F.relu(self.fc1(x)), dropout, self.training)
            return self.fc2(x)

    return Net()""",
    """    from torchvision.transforms import v2

    return v2.Compose([v2.RandomRotation(degrees=15), v2.RandomCrop(size=28, padding=2),
                       v2.ColorJitter(brightness=0.3)])""",
    """    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator()
    g.manual_seed(seed)
    loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=batch_size,
                        shuffle=True, generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    history = {"train_acc": [], "val_acc": []}

    def score(x, y):
        correct = 0
        with torch.no_grad():
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=256):
                correct += (model(xb).argmax(1) == yb).sum().item()
        return correct / len(y)

    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            if augment:
                x = augment(x)
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        model.eval()
        history["train_acc"].append(score(train_images, train_labels))
        history["val_acc"].append(score(val_images, val_labels))
    return history""",
    """    import statistics

    return statistics.mean(t - v for t, v in zip(curves["train_acc"][-last:],
                                                 curves["val_acc"][-last:]))""",
))

OVERFITTING_ORDERED_PER_IMAGE = Answer("overfitting_ordered_dict_per_image", "overfitting.py", (
    """    from collections import OrderedDict

    layers = OrderedDict()
    layers["conv"] = torch.nn.Conv2d(in_channels=1, out_channels=8, kernel_size=(5, 5))
    if batchnorm:
        layers["bn"] = torch.nn.BatchNorm2d(num_features=8)
    layers["relu1"] = torch.nn.ReLU(inplace=True)
    layers["pool"] = torch.nn.MaxPool2d(kernel_size=2, stride=2)
    layers["flat"] = torch.nn.Flatten(start_dim=1)
    if dropout:
        layers["drop1"] = torch.nn.Dropout(p=dropout)
    layers["fc1"] = torch.nn.Linear(8 * 12 * 12, 128)
    layers["relu2"] = torch.nn.ReLU()
    if dropout:
        layers["drop2"] = torch.nn.Dropout(p=dropout)
    layers["fc2"] = torch.nn.Linear(128, 10)
    return torch.nn.Sequential(layers)""",
    """    return transforms.Compose([transforms.RandomRotation(degrees=(-15, 15)),
                               transforms.RandomCrop(size=(28, 28), padding=2),
                               transforms.ColorJitter(brightness=0.3)])""",
    """    n = len(train_images)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    train_acc, val_acc = [], []
    shuffler = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=shuffler)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            x, y = train_images[idx], train_labels[idx]
            if augment is not None:
                x = torch.stack([augment(image) for image in x])
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        train_acc.append(accuracy(model, train_images, train_labels))
        val_acc.append(accuracy(model, val_images, val_labels))
    return {"train_acc": train_acc, "val_acc": val_acc}""",
    """    import numpy as np

    train = np.array(curves["train_acc"][-last:])
    val = np.array(curves["val_acc"][-last:])
    return float(np.mean(train - val))""",
))

GROUPS = {
    "01_cnn": {"a": CNN_01_A, "b": CNN_01_B},
    "02_training": {"a": TRAINING_02_A, "b": TRAINING_02_B, "c": TRAINING_02_C,
                    "d": [OVERFITTING_CLASS_AND_LOADER], "e": [OVERFITTING_ORDERED_PER_IMAGE]},
    "03_transfer": {"a": TRANSFER_03_A, "b": TRANSFER_03_B},
}
