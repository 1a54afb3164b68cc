"""Plausible wrong answers for topic 02_training: each must be caught, with the concept named."""

from support.mutation import Mutant, caught_in_every_mode

TOPIC = "02_training"
MUTANTS = [
    Mutant("split_50000_10000", "datamodule.py", "lengths=[55000, 5000]", "lengths=[50000, 10000]",
           "test_split_is_55000_5000_seeded_42", "55,000"),
    Mutant("split_unseeded", "datamodule.py",
           "lengths=[55000, 5000],\n                                              generator=torch.Generator().manual_seed(42))",
           "lengths=[55000, 5000])", "test_split_is_55000_5000_seeded_42", "seed"),
    Mutant("valid_loader_shuffled", "datamodule.py",
           "return DataLoader(self.valid, batch_size=self.batch_size, drop_last=False, shuffle=False,",
           "return DataLoader(self.valid, batch_size=self.batch_size, drop_last=False, shuffle=True,",
           "test_eval_loaders_keep_order_and_every_sample", "shuffl"),
    Mutant("train_loader_keeps_last", "datamodule.py",
           "return DataLoader(self.train, batch_size=self.batch_size, drop_last=True,",
           "return DataLoader(self.train, batch_size=self.batch_size, drop_last=False,",
           "test_train_loader_shuffles_and_drops_last", "drop_last"),
    Mutant("state_in_prepare_data", "datamodule.py",
           "datasets.MNIST(root=self.data_path, download=True)",
           "self.full = datasets.MNIST(root=self.data_path, download=True)",
           "test_prepare_data_sets_no_state_and_downloads_nothing", "setup()"),
    Mutant("test_set_augmented", "augmentation.py", "transforms.CenterCrop((128, 128)),",
           "transforms.RandomCrop((128, 128)),\n        transforms.RandomHorizontalFlip(p=0.2),",
           "test_test_transform_is_deterministic", "never augmented"),
    Mutant("flip_probability_0_5", "augmentation.py", "transforms.RandomHorizontalFlip(p=0.2),",
           "transforms.RandomHorizontalFlip(p=0.5),", "test_flip_rate_is_near_0_2", "0.2"),
    Mutant("imagenet_normalisation", "augmentation.py",
           "transforms.CenterCrop((128, 128)),\n        transforms.ToTensor(),\n"
           "        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),",
           "transforms.CenterCrop((128, 128)),\n        transforms.ToTensor(),\n"
           "        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),",
           "test_normalisation_maps_0_1_to_minus1_1", "ImageNet"),
    Mutant("train_transform_not_random", "augmentation.py",
           "transforms.RandomCrop((128, 128)),\n        transforms.RandomHorizontalFlip(p=0.2),\n"
           "        transforms.ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1),",
           "transforms.CenterCrop((128, 128)),", "test_train_transform_is_random", "random"),
    Mutant("batchnorm_missing", "cnn.py",
           "torch.nn.Conv2d(3, 16, kernel_size=3),\n            torch.nn.BatchNorm2d(16),",
           "torch.nn.Conv2d(3, 16, kernel_size=3),", "test_layers_match_the_slide", "BatchNorm",
           test_file="test_cnn.py"),
    Mutant("wrong_flatten_size", "cnn.py", "torch.nn.Linear(32, 20),",
           "torch.nn.Linear(32 * 3 * 3, 20),", "test_layers_match_the_slide", "in_features",
           test_file="test_cnn.py"),
    Mutant("maxpool_dropped", "cnn.py",
           "torch.nn.ReLU(),\n            torch.nn.MaxPool2d(kernel_size=2),\n            # block 02",
           "torch.nn.ReLU(),\n            # block 02", "test_layers_match_the_slide", "MaxPool",
           test_file="test_cnn.py"),
    Mutant("fc_batchnorm_and_output_swapped", "cnn.py",
           "torch.nn.BatchNorm1d(20),\n            torch.nn.ReLU(),\n"
           "            torch.nn.Linear(20, num_classes),",
           "torch.nn.ReLU(),\n            torch.nn.Linear(20, num_classes),\n"
           "            torch.nn.BatchNorm1d(20),", "test_layers_match_the_slide", "swapped",
           test_file="test_cnn.py"),
    Mutant("conv2_padding_off_by_one", "cnn.py", "torch.nn.Conv2d(3, 16, kernel_size=3),",
           "torch.nn.Conv2d(3, 16, kernel_size=3, padding=1),", "test_layers_match_the_slide",
           "padding", test_file="test_cnn.py"),
    Mutant("relu_before_batchnorm", "cnn.py",
           "torch.nn.BatchNorm2d(32),\n            torch.nn.ReLU(),",
           "torch.nn.ReLU(),\n            torch.nn.BatchNorm2d(32),",
           "test_computes_the_slides_function", "Conv2d -> BatchNorm2d -> ReLU",
           test_file="test_cnn.py"),
    Mutant("test_transform_without_resize", "augmentation.py",
           "transforms.Resize((150, 150)),\n        transforms.CenterCrop((128, 128)),",
           "transforms.Resize((128, 128)),", "test_test_transform_equals_the_slides",
           "Resize((150, 150))"),
    Mutant("train_flip_after_jitter", "augmentation.py",
           "transforms.RandomHorizontalFlip(p=0.2),\n        transforms.ColorJitter("
           "brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1),",
           "transforms.ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1),\n"
           "        transforms.RandomHorizontalFlip(p=0.2),",
           "test_train_transform_equals_the_slides_under_one_seed", "slide's order"),
    Mutant("train_loader_batch_size_fixed", "datamodule.py",
           "return DataLoader(self.train, batch_size=self.batch_size,",
           "return DataLoader(self.train, batch_size=32,",
           "test_train_loader_shuffles_and_drops_last", "batch_size"),
    Mutant("eval_mode_missing", "lightning_model.py", "model = model.eval()", "model = model",
           "test_compute_accuracy_uses_eval_mode", "eval()"),
    Mutant("train_loss_not_logged", "lightning_model.py",
           'self.log("train_loss", loss, batch_size=n)', "pass",
           "test_fast_dev_run_logs_the_four_metrics", "train_loss"),
    Mutant("learning_rate_tiny", "train.py",  # the sample dung: right code, no learning
           'learning_rate=settings["learning_rate"])', "learning_rate=1e-5)",
           "test_trained_weights_classify_held_out_images", "chance"),
    Mutant("nearest_neighbour_weights", "train.py",  # no CNN: a lookup table handed back
           'result["weights"] = training.weights_of(model.model)',
           'result["weights"] = {"train_images": model.model.cnn_layers[0].weight.new_zeros('
           '500, 784), "train_labels": model.model.cnn_layers[0].weight.new_zeros(500)}',
           "test_trained_weights_classify_held_out_images", "lecture's network"),
    Mutant("optimizer_adam", "lightning_model.py",
           "return torch.optim.SGD(self.parameters(), lr=self.learning_rate)",
           "return torch.optim.Adam(self.parameters(), lr=self.learning_rate)",
           "test_optimizer_is_sgd_with_the_learning_rate", "SGD"),
]

MUTANTS += [  # what train_mnist reports must be what it says it is
    Mutant("test_acc_from_validation", "train.py",
           'test_acc = float(trainer.test(model=model, datamodule=dm, verbose=False)[0]["test_acc"])',
           'test_acc = float(trainer.validate(model=model, datamodule=dm, verbose=False)[0]'
           '["val_acc"])', "test_reported_metrics_are_what_they_say", "test split"),
    Mutant("train_acc_reported_as_val_acc", "train.py",
           'val_acc = float(trainer.callback_metrics["val_acc"])',
           'val_acc = float(trainer.callback_metrics["train_acc"])',
           "test_reported_metrics_are_what_they_say", "validation split"),
    Mutant("flatten_by_squeeze", "cnn.py", "x = torch.flatten(x, start_dim=1)",
           "x = x.squeeze()", "test_every_batch_size_gives_one_row_per_image", "batch of one",
           test_file="test_cnn.py"),
    Mutant("test_transform_flips_sometimes", "augmentation.py",
           "transforms.CenterCrop((128, 128)),",
           "transforms.CenterCrop((128, 128)),\n        transforms.RandomHorizontalFlip(p=0.2),",
           "test_test_transform_is_deterministic", "never augmented"),
    Mutant("grid_shows_originals_twice", "augmentation.py",
           "for row, pipeline in enumerate((plain, transform)):",
           "for row, pipeline in enumerate((plain, plain)):",
           "test_augmentation_grid_figure", "augmented"),
    Mutant("accuracy_averaged_over_batches", "lightning_model.py",
           "correct += int((logits.argmax(dim=1) == labels.to(device)).sum())\n"
           "            total += len(labels)",
           "correct += float((logits.argmax(dim=1) == labels.to(device)).float().mean())\n"
           "            total += 1", "test_compute_accuracy_counts_images_not_batches", "0.8125"),
    Mutant("max_epochs_hard_coded", "train.py", 'max_epochs=settings["max_epochs"],',
           "max_epochs=2,", "test_reported_metrics_are_what_they_say", "max_epochs"),
    # torch.seed() is no setter: it seeds from the operating system's randomness
    Mutant("reseeded_at_random", "train.py",
           'dm = MnistDataModule(data_path=str(data_path), batch_size=settings["batch_size"])',
           'import torch\n    torch.seed()\n    dm = MnistDataModule(data_path=str(data_path), '
           'batch_size=settings["batch_size"])',
           "test_runs_are_deterministic", "seed"),
]


MUTANTS += [  # overfitting: the network, the augmentation, the loop and the gap
    Mutant("dropout_rate_fixed", "overfitting.py",
           "drop = [torch.nn.Dropout(dropout)] if dropout > 0 else []",
           "drop = [torch.nn.Dropout(0.5)] if dropout > 0 else []",
           "test_dropout_acts_only_while_training", "rate"),
    Mutant("batchnorm_ignored", "overfitting.py",
           "    if batchnorm:\n        features.append(torch.nn.BatchNorm2d(8))\n", "",
           "test_small_cnn_has_the_docstrings_layers", "BatchNorm2d(8)"),
    Mutant("rotation_missing", "overfitting.py", "        transforms.RandomRotation(15),\n", "",
           "test_augmentation_rotates_shifts_and_brightens", "RandomRotation(15)"),
    Mutant("rotation_90_degrees", "overfitting.py", "transforms.RandomRotation(15),",
           "transforms.RandomRotation(90),",
           "test_augmentation_rotates_shifts_and_brightens", "15 degrees"),
    Mutant("brightness_missing", "overfitting.py",
           "        transforms.ColorJitter(brightness=0.3),\n", "",
           "test_augmentation_rotates_shifts_and_brightens", "brightness"),
    Mutant("accuracy_in_train_mode", "overfitting.py",
           '        curves["train_acc"].append(accuracy(model, train_images, train_labels))\n'
           '        curves["val_acc"].append(accuracy(model, val_images, val_labels))',
           '        with torch.no_grad():\n'
           '            curves["train_acc"].append((model(train_images).argmax(1) == train_labels)'
           '.float().mean().item())\n'
           '            curves["val_acc"].append((model(val_images).argmax(1) == val_labels)'
           '.float().mean().item())',
           "test_learning_curves_report_what_they_measure", "eval mode"),
    Mutant("val_accuracy_averaged_over_batches", "overfitting.py",
           '        curves["val_acc"].append(accuracy(model, val_images, val_labels))',
           '        parts = [accuracy(model, v, l) for v, l in zip(val_images.split(batch_size), '
           'val_labels.split(batch_size))]\n'
           '        curves["val_acc"].append(sum(parts) / len(parts))',
           "test_learning_curves_report_what_they_measure", "fraction of all the images"),
    Mutant("epochs_fixed", "overfitting.py", "    for epoch in range(epochs):",
           "    for epoch in range(15):", "test_learning_curves_report_what_they_measure",
           "one per epoch"),
    Mutant("learning_rate_fixed", "overfitting.py",
           "torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)",
           "torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)",
           "test_learning_curves_follow_lr_seed_and_augment", "lr"),
    Mutant("shuffle_unseeded", "overfitting.py",
           "torch.randperm(len(train_images), generator=order)",
           "torch.randperm(len(train_images))",
           "test_learning_curves_follow_lr_seed_and_augment", "seed"),
    Mutant("augment_ignored", "overfitting.py",
           "            if augment is not None:\n                images = augment(images)\n", "",
           "test_learning_curves_follow_lr_seed_and_augment", "augment"),
    Mutant("validation_augmented", "overfitting.py",
           '        curves["val_acc"].append(accuracy(model, val_images, val_labels))',
           '        shown = val_images if augment is None else augment(val_images)\n'
           '        curves["val_acc"].append(accuracy(model, shown, val_labels))',
           "test_augmentation_shrinks_the_gap_on_a_fixed_seed", "val_acc"),
    Mutant("gap_of_the_last_epoch_only", "overfitting.py",
           "return sum(t - v for t, v in zip(train, val)) / len(train)",
           'return curves["train_acc"][-1] - curves["val_acc"][-1]',
           "test_generalisation_gap_is_the_mean_over_the_last_epochs", "mean"),
    Mutant("gap_reversed", "overfitting.py",
           "return sum(t - v for t, v in zip(train, val)) / len(train)",
           "return sum(v - t for t, v in zip(train, val)) / len(train)",
           "test_generalisation_gap_is_the_mean_over_the_last_epochs", "train_acc - val_acc"),
]

outcomes, test_mutant_is_caught = caught_in_every_mode(TOPIC, MUTANTS)
