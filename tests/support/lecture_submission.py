"""A submission written the way the lecture writes its code, independently of solutions/.

Each ``Answer`` fills the solution regions of one exercise file, in order, as a student
following the slides would: keyword arguments, ``super(Class, self).__init__()`` style,
``F.relu``, ``plt.subplots`` and a bilinear resize (the slide's ``cv2.resize``), the slide's
Trainer without a logging interval, and so on.
"""

from __future__ import annotations

from support.equivalents import Answer as A

CNN_01 = [
    A("lecture_params", "params.py", (
        """    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    per_filter = kernel_size[0] * kernel_size[1] * in_channels // groups
    number_of_parameter = per_filter * out_channels
    if bias:
        number_of_parameter += out_channels
    return number_of_parameter""",
        """    return in_features * out_features + (out_features if bias else 0)""",
        """    def two(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    (h, w), (kh, kw), (sh, sw) = two(input_hw), two(kernel_size), two(stride)
    (ph, pw), (dh, dw) = two(padding), two(dilation)
    out_h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return (out_h, out_w)""",
        """    if strides is None:
        strides = [1] * len(kernel_sizes)
    rf = 1
    step = 1
    for i in range(len(kernel_sizes)):
        rf = rf + (kernel_sizes[i] - 1) * step
        step = step * strides[i]
    return rf""",
        """    number_of_parameter = 0
    for name, param in model.named_parameters():
        if trainable_only and not param.requires_grad:
            continue
        number_of_parameter += param.numel()
    return number_of_parameter""",
        """    storage_memory = 0.0
    for name, param in model.named_parameters():
        storage_memory += (param.numel() * param.element_size()) / (1024 ** 3)
    return storage_memory""")),
    A("lecture_naive_conv", "naive_conv.py", (
        """    if isinstance(stride, int):
        stride = (stride, stride)
    if isinstance(padding, int):
        padding = (padding, padding)
    x = F.pad(x, [padding[1], padding[1], padding[0], padding[0]])
    N, C, H, W = x.shape
    K, _, kh, kw = weight.shape
    H_out = (H - kh) // stride[0] + 1
    W_out = (W - kw) // stride[1] + 1
    out = x.new_zeros((N, K, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            top, left = i * stride[0], j * stride[1]
            region = x[:, :, top:top + kh, left:left + kw]      # one small window
            for k in range(K):                                  # the same kernel everywhere
                out[:, k, i, j] = torch.sum(region * weight[k], dim=(1, 2, 3))
    if bias is not None:
        out += bias[None, :, None, None]
    return out""",)),
    A("lecture_models", "models.py", (
        """        self.conv1 = nn.Conv2d(in_channels=1, out_channels=4, kernel_size=3,
                               stride=1, padding=1)  # Lớp 1: Phát hiện cạnh
        self.conv2 = nn.Conv2d(in_channels=4, out_channels=8, kernel_size=3,
                               stride=1, padding=1)  # Lớp 2: Kết hợp cạnh
        self.conv3 = nn.Conv2d(in_channels=8, out_channels=16, kernel_size=3,
                               stride=1, padding=1)  # Lớp 3: Học đặc trưng tổng thể""",
        """        x1 = F.relu(self.conv1(x))
        x2 = F.relu(self.conv2(x1))
        x3 = F.relu(self.conv3(x2))
        return x1, x2, x3""",
        """        self.fc_layer = torch.nn.Sequential(
            nn.Linear(16*28*28, 100), nn.ReLU(), nn.Linear(100, 10),)""",
        """        x1, x2, x3 = ML_CNN.forward(self, x)
        x = torch.flatten(x3, 1)
        logits = self.fc_layer(x)
        return logits""",
        """        self.Linear1 = nn.Linear(3*224*224, 10000)
        self.Linear2 = nn.Linear(10000, 1000)
        self.Linear3 = nn.Linear(1000, 100)
        self.output = nn.Linear(100, 10)""",
        """        x = torch.flatten(x, 1)
        x1 = F.relu(self.Linear1(x))
        x2 = F.relu(self.Linear2(x1))
        x3 = F.relu(self.Linear3(x2))
        logits = self.output(x3)
        return logits""")),
    A("lecture_feature_maps", "feature_maps.py", (
        """    img = Image.open(path).convert("L")              # cv2.IMREAD_GRAYSCALE
    img = img.resize((size, size), Image.BILINEAR)    # cv2.resize: bilinear
    img = np.array(img) / 255.0  # Chuẩn hóa về [0,1]
    img_tensor = torch.tensor(img, dtype=torch.float32).unsqueeze(0).unsqueeze(0)
    return img, img_tensor""",
        """    with torch.no_grad():
        feature_maps = model(image)
    if not isinstance(feature_maps, tuple):
        feature_maps = (feature_maps,)
    return tuple(feature_maps)""",
        """    import matplotlib.pyplot as plt

    num_filters = maps.shape[1]
    fig, axes = plt.subplots(1, num_filters, figsize=(15, 5), squeeze=False)
    for i in range(num_filters):
        axes[0][i].imshow(maps[0, i].cpu().numpy(), cmap='gray')
        axes[0][i].axis("off")
    plt.suptitle(title, fontsize=14)
    return fig""")),
]

TRAINING_02 = [
    A("lecture_cnn", "cnn.py", (
        """        self.cnn_layers = torch.nn.Sequential(
            #block 01
            torch.nn.Conv2d(1, 3, kernel_size=5),
            torch.nn.BatchNorm2d(3),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
            #block 02
            torch.nn.Conv2d(3, 16, kernel_size=3),
            torch.nn.BatchNorm2d(16),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
            #block03
            torch.nn.Conv2d(16, 32, kernel_size=3),
            torch.nn.BatchNorm2d(32),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
        )

        self.fc_layers = torch.nn.Sequential(
            # hidden layer
            torch.nn.Linear(32, 20),
            torch.nn.BatchNorm1d(20),
            torch.nn.ReLU(),

            # output layer
            torch.nn.Linear(20, num_classes)
        )""",
        """        x = self.cnn_layers(x)
        # print(x.shape)
        x = torch.flatten(x, start_dim=1)
        logits = self.fc_layers(x)
        return logits""")),
    A("lecture_datamodule", "datamodule.py", (
        """        datasets.MNIST(root=self.data_path, download=True)
        return""",
        """        # Note transforms.ToTensor() scales input images
        # to 0-1 range
        train = datasets.MNIST(
            root=self.data_path,
            train=True,
            transform=transforms.ToTensor(),
            download=False,
        )

        self.test = datasets.MNIST(
            root=self.data_path,
            train=False,
            transform=transforms.ToTensor(),
            download=False,
        )

        self.train, self.valid = random_split(train, lengths=[55000, 5000],
            generator=torch.Generator().manual_seed(42))""",
        """        train_loader = DataLoader(
            dataset=self.train,
            batch_size=self.batch_size,
            drop_last=True,
            shuffle=True,
            num_workers=self.num_workers,
        )
        return train_loader""",
        """        valid_loader = DataLoader(
            dataset=self.valid,
            batch_size=self.batch_size,
            drop_last=False,
            shuffle=False,
            num_workers=self.num_workers,
        )
        return valid_loader""",
        """        test_loader = DataLoader(
            dataset=self.test,
            batch_size=self.batch_size,
            drop_last=False,
            shuffle=False,
            num_workers=self.num_workers,
        )
        return test_loader""")),
    A("lecture_augmentation", "augmentation.py", (
        """    train_transform = transforms.Compose(
        [
            transforms.ToPILImage(),
            transforms.Resize((150, 150)),
            transforms.RandomCrop((128, 128)),
            transforms.RandomHorizontalFlip(p=0.2),
            transforms.ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1,
                                   hue=0.1),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    return train_transform""",
        """    test_transform = transforms.Compose(
        [
            transforms.ToPILImage(),
            transforms.Resize((150, 150)),
            transforms.CenterCrop((128, 128)),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    return test_transform""")),
    A("lecture_lightning_model", "lightning_model.py", (
        """        features, true_labels = batch
        logits = self(features)
        loss = F.cross_entropy(logits, true_labels)
        predicted_labels = torch.argmax(logits, dim=1)
        acc = (predicted_labels == true_labels).float().mean()
        return loss, acc""",
        """        loss, acc = self._shared_step(batch)
        self.log("train_loss", loss)
        self.log("train_acc", acc, prog_bar=True, on_epoch=True, on_step=False)
        return loss""",
        """        loss, acc = self._shared_step(batch)
        self.log("val_loss", loss, prog_bar=True)
        self.log("val_acc", acc, prog_bar=True)""",
        """        loss, acc = self._shared_step(batch)
        self.log("test_acc", acc)""",
        """        optimizer = torch.optim.SGD(self.parameters(), lr=self.learning_rate)
        return optimizer""",
        """    model = model.eval()
    correct = 0.0
    total_examples = 0
    for idx, (features, labels) in enumerate(dataloader):
        features, labels = features.to(device), labels.to(device)
        with torch.no_grad():
            logits = model(features)
        predictions = torch.argmax(logits, dim=1)
        compare = labels == predictions
        correct += torch.sum(compare)
        total_examples += len(compare)
    return (correct / total_examples).item()""")),
    A("lecture_train", "train.py", (
        """    dm = MnistDataModule(data_path=data_path, batch_size=settings["batch_size"])
    pytorch_model = PyTorchCNN(num_classes=10)
    model = LightningModel(model=pytorch_model, learning_rate=settings["learning_rate"])""",
        """    trainer = L.Trainer(
        max_epochs=settings["max_epochs"],
        accelerator=settings["accelerator"],
        devices="auto",
        logger=CSVLogger(save_dir=out_dir, name="my-model"),
        deterministic=True,
        **limits,
    )
    trainer.fit(model=model, datamodule=dm)
    val_acc = trainer.validate(model=model, datamodule=dm)[0]["val_acc"]
    test_acc = trainer.test(model=model, datamodule=dm)[0]["test_acc"]
    metrics_csv = Path(trainer.logger.log_dir) / "metrics.csv\"""")),
    A("lecture_overfitting", "overfitting.py", (
        """    layers = [
        # block 01
        torch.nn.Conv2d(1, 8, kernel_size=5),
    ]
    if batchnorm:
        layers.append(torch.nn.BatchNorm2d(8))
    layers += [torch.nn.ReLU(), torch.nn.MaxPool2d(kernel_size=2)]
    # fully connected layers
    layers.append(torch.nn.Flatten())
    if dropout > 0:
        layers.append(torch.nn.Dropout(p=dropout))
    layers += [torch.nn.Linear(1152, 128), torch.nn.ReLU()]
    if dropout > 0:
        layers.append(torch.nn.Dropout(p=dropout))
    layers.append(torch.nn.Linear(128, 10))
    model = torch.nn.Sequential(*layers)
    return model""",
        """    train_transform = transforms.Compose(
        [
            transforms.RandomRotation(degrees=15),  # xoay ngẫu nhiên
            transforms.RandomCrop((28, 28), padding=2),  # cắt ngẫu nhiên
            transforms.ColorJitter(brightness=0.3),  # thay đổi độ sáng
        ]
    )
    return train_transform""",
        """    from torch.utils.data import DataLoader, TensorDataset

    train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=batch_size,
                              shuffle=True, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_function = torch.nn.CrossEntropyLoss()
    history = {"train_acc": [], "val_acc": []}
    for epoch in range(epochs):
        model.train()
        for features, targets in train_loader:
            if augment is not None:
                features = augment(features)
            logits = model(features)
            loss = loss_function(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history["train_acc"].append(accuracy(model, train_images, train_labels))
        history["val_acc"].append(accuracy(model, val_images, val_labels))
    return history""",
        """    gaps = []
    for train_acc, val_acc in zip(curves["train_acc"][-last:], curves["val_acc"][-last:]):
        gaps.append(train_acc - val_acc)
    return sum(gaps) / len(gaps)""")),
]

TRANSFER_03 = [
    A("lecture_transfer", "transfer.py", (
        """    if name == "resnet18":
        return tvm.resnet18(weights=weights)
    return tvm.mobilenet_v2(weights=weights)""",
        """    if hasattr(model, "fc"):
        model.fc = nn.Linear(model.fc.in_features, num_classes)  # 1000 -> num_classes
    else:
        last = len(model.classifier) - 1
        model.classifier[last] = nn.Linear(model.classifier[last].in_features, num_classes)
    return model""",
        """    if variant == 1 or variant == 2:
        for param in model.parameters():
            param.requires_grad = False
    if variant == 2:
        for param in last_stage(model).parameters():
            param.requires_grad = True
    model = replace_head(model, num_classes)
    return model""",
        """    total = 0
    for param in model.parameters():
        if param.requires_grad:
            total += param.numel()
    return total""",
        """    preprocess_transform = weights.transforms()
    return preprocess_transform""")),
    A("lecture_cifar_datamodule", "datamodule.py", (
        """        train = self._dataset("train", self.train_transform)
        valid = self._dataset("train", self.test_transform)
        n = len(train)
        train_part, valid_part = torch.utils.data.random_split(
            range(n), lengths=[n - n // 10, n // 10],
            generator=torch.Generator().manual_seed(42))
        self.train = Subset(train, train_part.indices)
        self.valid = Subset(valid, valid_part.indices)
        self.test = self._dataset("test", self.test_transform)""",
        """    images, labels = [], []
    for image, label in large:
        images.append(image)
        labels.append(label)
    for image, label in target:
        images.append(image)
        labels.append(label + large_classes)
    return list(zip(images, labels))""")),
    A("lecture_transfer_train", "train.py", (
        """    preprocess_transform = preprocessing(weights)
    transform = preprocess_transform""",
        """    dm = Cifar10DataModule(data_path, batch_size=batch_size, num_workers=0,
                           train_transform=transform,
                           test_transform=transform)
    return dm""")),
]

SUBMISSION = {"01_cnn": CNN_01, "02_training": TRAINING_02, "03_transfer": TRANSFER_03}
