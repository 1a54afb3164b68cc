"""Plausible wrong answers for topic 01_cnn: each must be caught, with the concept named."""

import pytest

from support.mutation import Mutant, assert_caught_in_every_mode, run_both

TOPIC = "01_cnn"
MUTANTS = [
    Mutant("conv_bias_forgotten", "params.py",
           "return int(weights + (out_channels if bias else 0))", "return int(weights)",
           "test_conv2d_param_count_matches_nn_conv2d", "bias"),
    Mutant("conv_k_not_k_squared", "params.py",
           "weights = kh * kw * (in_channels // groups) * out_channels",
           "weights = kh * (in_channels // groups) * out_channels",
           "test_conv2d_param_count_lecture_layers", "3*3"),
    Mutant("conv_groups_ignored", "params.py",
           "weights = kh * kw * (in_channels // groups) * out_channels",
           "weights = kh * kw * in_channels * out_channels",
           "test_conv2d_param_count_matches_nn_conv2d", "groups"),
    Mutant("linear_bias_forgotten", "params.py",
           "return int(in_features * out_features + (out_features if bias else 0))",
           "return int(in_features * out_features)",
           "test_linear_param_count_matches_nn_linear", "bias"),
    Mutant("padding_ignored", "params.py", "sizes[i] + 2 * p[i] - d[i]", "sizes[i] - d[i]",
           "test_conv2d_output_shape_matches_nn_conv2d", "padding"),
    Mutant("padding_one_side", "params.py", "sizes[i] + 2 * p[i] - d[i]", "sizes[i] + p[i] - d[i]",
           "test_conv2d_output_shape_matches_nn_conv2d", "both sides"),
    Mutant("dilation_ignored", "params.py", "- d[i] * (k[i] - 1) - 1", "- (k[i] - 1) - 1",
           "test_conv2d_output_shape_matches_nn_conv2d", "dilation"),
    Mutant("ceil_not_floor", "params.py", "- 1) // s[i] + 1", "- 1 + s[i] - 1) // s[i] + 1",
           "test_conv2d_output_shape_matches_maxpool", "floor"),
    Mutant("receptive_field_ignores_strides", "params.py", "jump *= int(s)", "jump *= 1",
           "test_receptive_field_matches_gradient_support", "stride"),
    Mutant("receptive_field_adds_k", "params.py", "field += (int(k) - 1) * jump",
           "field += int(k) * jump", "test_receptive_field_three_3x3_is_7", "3x3"),
    Mutant("trainable_only_ignored", "params.py",
           "if p.requires_grad or not trainable_only", "if True",
           "test_count_parameters_matches_torchinfo", "frozen"),
    Mutant("gigabytes_as_1e9", "params.py", "return float(total / (1024 ** 3))",
           "return float(total / 1e9)", "test_storage_size_gb_uses_element_size_and_1024_cubed",
           "1024**3"),
    Mutant("element_size_assumed_4", "params.py", "p.numel() * p.element_size()",
           "p.numel() * 4", "test_storage_size_gb_uses_element_size_and_1024_cubed",
           "element_size"),
    Mutant("naive_conv_bias_forgotten", "naive_conv.py", "out = out + bias.view(1, -1, 1, 1)",
           "out = out", "test_conv2d_naive_matches_f_conv2d", "bias"),
    Mutant("naive_conv_padding_ignored", "naive_conv.py", "x = F.pad(x, (pw, pw, ph, ph))",
           "x = x", "test_conv2d_naive_matches_f_conv2d", "padding"),
    Mutant("naive_conv_stride_ignored", "naive_conv.py",
           "window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]",
           "window = x[:, :, i:i + kh, j:j + kw]", "test_conv2d_naive_matches_f_conv2d", "stride"),
    Mutant("cnn_padding_off_by_one", "models.py",
           "self.conv2 = nn.Conv2d(4, 8, kernel_size=3, stride=1, padding=1)",
           "self.conv2 = nn.Conv2d(4, 8, kernel_size=3, stride=1, padding=0)",
           "test_ml_cnn_layers_match_the_slide", "conv2", test_file="test_models.py"),
    Mutant("mlp_slide_typo_kept", "models.py", "self.Linear3 = nn.Linear(1000, 100)",
           "self.Linear3 = nn.Linear(1000, 10)", "test_mlp_layer_sizes", "typo",
           test_file="test_models.py"),
    Mutant("relu_missing", "models.py", "x1 = F.relu(self.conv1(x))", "x1 = self.conv1(x)",
           "test_ml_cnn_returns_three_relu_feature_maps", "ReLU", test_file="test_models.py"),
    Mutant("mlp_relu_missing", "models.py", "x = F.relu(self.Linear2(x))", "x = self.Linear2(x)",
           "test_mlp_has_relu_between_its_layers", "ReLU", test_file="test_models.py"),
    Mutant("classifier_uses_x2", "models.py", "_, _, x3 = super().forward(x)",
           "_, x3, _ = super().forward(x)", "test_ml_cnn_classifier_layers_match_the_slide",
           "in_features", test_file="test_models.py"),
    Mutant("classifier_relu_after_output", "models.py",
           "return self.fc_layer(torch.flatten(x3, 1))",
           "return F.relu(self.fc_layer(torch.flatten(x3, 1)))",
           "test_ml_cnn_classifier_computes_the_slides_function", "Linear, ReLU, Linear",
           test_file="test_models.py"),
    Mutant("conv1_kernel_5", "models.py",
           "self.conv1 = nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1)",
           "self.conv1 = nn.Conv2d(1, 4, kernel_size=5, stride=1, padding=1)",
           "test_ml_cnn_layers_match_the_slide", "kernel_size", test_file="test_models.py"),
    Mutant("relu_missing_in_function", "models.py", "x1 = F.relu(self.conv1(x))",
           "x1 = self.conv1(x)", "test_ml_cnn_computes_the_slides_function",
           "between conv1 and conv2", test_file="test_models.py"),
    Mutant("mlp_relu_after_output", "models.py", "return self.output(x)",
           "return F.relu(self.output(x))", "test_mlp_has_relu_between_its_layers",
           "applies: ReLU", test_file="test_models.py"),
    Mutant("feature_maps_keep_gradients", "feature_maps.py", "with torch.no_grad():",
           "if True:", "test_feature_maps_returns_tuple_without_gradients", "no_grad"),
    Mutant("plot_color_not_gray", "feature_maps.py", 'numpy(), cmap="gray")',
           'numpy(), cmap="viridis")',
           "test_plot_feature_maps_one_gray_panel_per_channel", "cmap"),
]


@pytest.fixture(scope="module")
def outcomes():
    return run_both(TOPIC, MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.id)
def test_mutant_is_caught(mutant, outcomes):
    assert_caught_in_every_mode(mutant, outcomes)
