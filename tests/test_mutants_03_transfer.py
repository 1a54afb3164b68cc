"""Plausible wrong answers for topic 03_transfer: each must be caught, with the concept named."""

from support.mutation import Mutant, caught_in_every_mode

TOPIC = "03_transfer"
FREEZE_THEN_HEAD = """    if variant in (1, 2):
        for param in model.parameters():
            param.requires_grad = False
    if variant == 2:
        for param in last_stage(model).parameters():
            param.requires_grad = True
    return replace_head(model, num_classes)"""
HEAD_THEN_FREEZE = """    model = replace_head(model, num_classes)
    if variant in (1, 2):
        for param in model.parameters():
            param.requires_grad = False
    if variant == 2:
        for param in last_stage(model).parameters():
            param.requires_grad = True
    return model"""

MUTANTS = [
    Mutant("head_replaced_before_freezing", "transfer.py", FREEZE_THEN_HEAD, HEAD_THEN_FREEZE,
           "test_trainable_count_matches_the_variant", "before"),
    Mutant("nothing_frozen_in_variant_1", "transfer.py", "if variant in (1, 2):",
           "if variant == 2:", "test_requires_grad_mask_matches_the_variant", "freeze"),
    Mutant("variant_2_wrong_stage", "transfer.py",
           "return model.layer4 if hasattr(model, \"layer4\") else model.features[-1]",
           "return model.layer3 if hasattr(model, \"layer4\") else model.features[-2]",
           "test_requires_grad_mask_matches_the_variant", "layer4"),
    Mutant("head_stacked_on_old_head", "transfer.py",
           "model.fc = nn.Linear(model.fc.in_features, num_classes)",
           "model.fc = nn.Sequential(model.fc, nn.Linear(1000, num_classes))",
           "test_new_head_is_one_linear_layer_to_10_classes", "stacked"),
    Mutant("head_wrong_in_features", "transfer.py",
           "model.fc = nn.Linear(model.fc.in_features, num_classes)",
           "model.fc = nn.Linear(1000, num_classes)",
           "test_new_head_is_one_linear_layer_to_10_classes", "in_features"),
    Mutant("trainable_count_ignores_requires_grad", "transfer.py",
           "return int(sum(p.numel() for p in model.parameters() if p.requires_grad))",
           "return int(sum(p.numel() for p in model.parameters()))",
           "test_trainable_count_matches_the_variant", "requires_grad"),
    Mutant("cifar_normalisation", "transfer.py", "    return weights.transforms()\n",
           "    from torchvision import transforms as T\n"
           "    return T.Compose([T.Resize(256, antialias=True), T.CenterCrop(224),\n"
           "                      T.ConvertImageDtype(__import__('torch').float),\n"
           "                      T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])\n",
           "test_preprocessing_is_the_weights_own_transforms", "CIFAR"),
    Mutant("preprocessing_on_train_only", "train.py",
           "return Cifar10DataModule(data_path, batch_size=batch_size, train_transform=transform,\n"
           "                             test_transform=transform)",
           "return Cifar10DataModule(data_path, batch_size=batch_size, train_transform=transform)",
           "test_build_datamodule_preprocesses_train_and_test_alike", "test_transform"),
    Mutant("split_unseeded", "datamodule.py",
           "order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(42))",
           "order = torch.randperm(len(train_aug))",
           "test_cifar10_split_is_45000_5000_seeded_42", "seed"),
    # written as students would get the split, the loaders, variant 2 and the preprocessing
    # wrong; each test that asks "seeded" or "shuffled" has one
    Mutant("split_seed_0", "datamodule.py",
           "order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(42))",
           "order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(0))",
           "test_split_is_seeded_42_and_the_same_every_time", "seed"),
    Mutant("split_reshuffled_each_time", "datamodule.py",
           "order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(42))",
           "order = torch.randperm(len(train_aug))",
           "test_split_is_seeded_42_and_the_same_every_time", "seed"),
    Mutant("train_loader_not_shuffled", "datamodule.py",
           "batch_size=self.batch_size, shuffle=True, drop_last=True,",
           "batch_size=self.batch_size, shuffle=False, drop_last=True,",
           "test_loaders_shuffle_training_only_and_keep_every_evaluation_image", "shuffle"),
    Mutant("valid_loader_shuffled", "datamodule.py",
           "DataLoader(self.valid, batch_size=self.batch_size, shuffle=False,",
           "DataLoader(self.valid, batch_size=self.batch_size, shuffle=True,",
           "test_loaders_shuffle_training_only_and_keep_every_evaluation_image", "shuffle"),
    Mutant("test_loader_drops_last", "datamodule.py",
           "DataLoader(self.test, batch_size=self.batch_size, shuffle=False,",
           "DataLoader(self.test, batch_size=self.batch_size, shuffle=False, drop_last=True,",
           "test_loaders_shuffle_training_only_and_keep_every_evaluation_image", "drop_last"),
    Mutant("train_loader_fixed_batch", "datamodule.py",
           "DataLoader(self.train, batch_size=self.batch_size,",
           "DataLoader(self.train, batch_size=32,",
           "test_loaders_shuffle_training_only_and_keep_every_evaluation_image", "batch_size"),
    Mutant("variant_2_trains_everything", "transfer.py", "if variant in (1, 2):",
           "if variant == 1:", "test_requires_grad_mask_matches_the_variant", "variant 2"),
    Mutant("preprocessing_nearest_resize", "transfer.py", "    return weights.transforms()\n",
           "    from torchvision import transforms as T\n"
           "    return T.Compose([T.Resize(256, interpolation=T.InterpolationMode.NEAREST),\n"
           "                      T.CenterCrop(224), T.ToTensor(),\n"
           "                      T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])\n",
           "test_preprocessing_is_the_weights_own_transforms", "bilinear"),
    Mutant("valid_augmented", "datamodule.py", "self.valid = Subset(train_plain,",
           "self.valid = Subset(train_aug,", "test_valid_uses_the_test_transform",
           "never augmented"),
]

MUTANTS += [  # transfer learning's second kind: the large and the target data together
    Mutant("joint_target_labels_not_moved", "datamodule.py",
           "return image, int(label) + large_classes", "return image, int(label)",
           "test_joint_dataset_holds_both_with_the_target_labels_moved", "label + large_classes",
           test_file="test_datamodule.py"),
    Mutant("joint_large_dropped", "datamodule.py",
           "return torch.utils.data.ConcatDataset([large, Moved()])",
           "return torch.utils.data.ConcatDataset([Moved()])",
           "test_joint_dataset_holds_both_with_the_target_labels_moved", "every large item",
           test_file="test_datamodule.py"),
    Mutant("joint_target_first", "datamodule.py",
           "return torch.utils.data.ConcatDataset([large, Moved()])",
           "return torch.utils.data.ConcatDataset([Moved(), large])",
           "test_joint_dataset_holds_both_with_the_target_labels_moved", "large items first",
           test_file="test_datamodule.py"),
]

outcomes, test_mutant_is_caught = caught_in_every_mode(TOPIC, MUTANTS)
