"""Feature maps: load an image, run the CNN, plot one panel per channel."""

import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image

from grader.core.i18n import msg, pick
from grader.testkit.checks import check_close, check_shape
from grader.testkit.harness import exercise, probe, topic_data
from grader.testkit.toy_models import TwoMaps

fm = exercise(__file__, "feature_maps")
FISH = topic_data(__file__, "fish.png")


def test_load_image_shapes_and_range():
    for size in (64, 32):
        img, tensor = fm.load_image(FISH, size=size)
        assert isinstance(img, np.ndarray) and img.shape == (size, size), msg(
            f"load_image(fish.png, size={size}) returned an image of "
            f"{getattr(img, 'shape', type(img).__name__)}; expected a numpy array ({size}, {size})"
            " - grayscale, resized",
            f"load_image(fish.png, size={size}) trả về ảnh "
            f"{getattr(img, 'shape', type(img).__name__)}; cần một mảng numpy ({size}, {size})"
            " - ảnh xám, đã đổi kích thước")
        check_shape(f"load_image(fish.png, size={size})[1]", tensor, (1, 1, size, size),
                    msg("a batch of one single-channel image: unsqueeze twice",
                        "một batch gồm một ảnh một kênh: gọi unsqueeze hai lần"))
        assert tensor.dtype == torch.float32, msg(
            f"tensor dtype is {tensor.dtype}; expected float32",
            f"dtype của tensor là {tensor.dtype}; cần float32")
        low, high = float(img.min()), float(img.max())
        assert 0.0 <= low and high <= 1.0 and high > 0.5, msg(
            f"pixel values span [{low:.3f}, {high:.3f}]; expected [0, 1]: divide by 255",
            f"giá trị pixel nằm trong [{low:.3f}, {high:.3f}]; cần [0, 1]: hãy chia cho 255")


def _resized_candidates(size):
    """fish.png in grayscale, resized with each filter a student may reasonably use."""
    import torch.nn.functional as F

    with Image.open(FISH) as im:
        gray = im.convert("L")
        out = {f"PIL {name.lower()}": np.asarray(gray.resize((size, size), getattr(Image, name)),
                                                 dtype=np.float64) / 255.0
               for name in ("BICUBIC", "BILINEAR", "LANCZOS", "BOX", "NEAREST")}
        full = torch.tensor(np.asarray(gray, dtype=np.float64) / 255.0)[None, None]
    for antialias in (False, True):  # cv2.resize (INTER_LINEAR) and torchvision's Resize
        resized = F.interpolate(full, size=(size, size), mode="bilinear", align_corners=False,
                                antialias=antialias)
        out[f"bilinear{' antialiased' if antialias else ''}"] = resized[0, 0].numpy()
    return out


def test_load_image_is_grayscale_of_the_file():
    img, tensor = fm.load_image(FISH)
    shape = getattr(img, "shape", None)
    assert shape == (64, 64), msg(f"load_image(fish.png) returned an image of shape {shape}",
                                  f"load_image(fish.png) trả về ảnh có shape {shape}")
    gaps = {name: float(np.abs(np.asarray(img, dtype=np.float64) - ref).max())
            for name, ref in _resized_candidates(64).items()}
    closest = min(gaps, key=gaps.get)
    if gaps[closest] >= 0.02:
        raise AssertionError(msg(
            f"load_image(fish.png) is not fish.png in grayscale resized to 64x64 and divided "
            f"by 255: it differs by up to {gaps[closest]:.3f} (of 1.0) from the closest resize "
            f"filter ({closest}). Any usual filter is accepted (PIL's default, bilinear as "
            "cv2.resize on the slide); check the grayscale conversion ('L') and the scaling",
            f"load_image(fish.png) không phải là fish.png chuyển sang ảnh xám, đổi kích thước "
            f"64x64 rồi chia cho 255: nó lệch tới {gaps[closest]:.3f} (trên 1.0) so với bộ lọc "
            f"resize gần nhất ({closest}). Mọi bộ lọc thông dụng đều được chấp nhận (mặc định "
            "của PIL, bilinear như cv2.resize trên slide); hãy kiểm tra bước chuyển sang ảnh "
            "xám ('L') và bước chia tỉ lệ"))
    same = torch.allclose(tensor[0, 0], torch.tensor(np.asarray(img), dtype=torch.float32),
                          atol=1e-6)
    assert same, msg("the tensor must hold the same pixels as the array",
                     "tensor phải chứa đúng các pixel của mảng numpy")


def test_feature_maps_returns_tuple_without_gradients():
    model, image = TwoMaps(), torch.rand(1, 1, 16, 16)
    maps = fm.feature_maps(model, image)
    assert isinstance(maps, tuple) and len(maps) == 2, msg(
        f"feature_maps(model, image) returned {type(maps).__name__}; expected a tuple with one "
        "tensor per model output",
        f"feature_maps(model, image) trả về {type(maps).__name__}; cần một tuple có một tensor "
        "cho mỗi đầu ra của mô hình")
    with torch.no_grad():
        expected = model(image)
    for i, (got, want) in enumerate(zip(maps, expected)):
        check_close(f"feature_maps(model, image)[{i}]", got, want, msg(
            "the feature maps are the model's own outputs for the image, unchanged",
            "các feature map chính là đầu ra của mô hình cho ảnh đó, không thay đổi gì"))
    assert not any(m.requires_grad for m in maps), msg(
        "the feature maps carry gradients: compute them inside torch.no_grad(), we only look",
        "các feature map còn mang gradient: hãy tính chúng bên trong torch.no_grad(), ta chỉ "
        "quan sát chứ không huấn luyện")
    conv, image = nn.Conv2d(1, 2, 3), torch.rand(1, 1, 8, 8)
    single = fm.feature_maps(conv, image)
    assert isinstance(single, tuple) and len(single) == 1, msg(
        "a model that returns one tensor must still give a tuple of one",
        "mô hình chỉ trả về một tensor thì vẫn phải cho ra một tuple một phần tử")
    with torch.no_grad():
        expected = conv(image)
    check_close("feature_maps(nn.Conv2d(1, 2, 3), image[1,1,8,8])[0]", single[0], expected, msg(
        "a model that returns one tensor [1, 2, 6, 6] gives the tuple (that tensor,), "
        "unchanged: its batch dimension kept; tuple(tensor) would split the batch instead",
        "mô hình trả về một tensor [1, 2, 6, 6] thì cho ra tuple (tensor đó,), không thay "
        "đổi gì: giữ nguyên chiều batch; tuple(tensor) sẽ tách batch ra"))


@pytest.fixture
def no_figure_left_open():
    """The test adds what the call reported; the check is made at teardown."""
    reports = []
    yield reports
    leaked = sum(r["leaked"] for r in reports)
    assert not leaked, pick({
        "en": f"plot_feature_maps opened {leaked} pyplot figure(s) it neither returned nor "
              "closed (for example plt.figure() before plt.subplots()): every call leaks one. "
              "Open only the figure you return, or close the others with plt.close(...).",
        "vi": f"plot_feature_maps mở {leaked} figure của pyplot mà không trả về cũng không "
              "đóng (ví dụ gọi plt.figure() trước plt.subplots()): mỗi lần gọi lại rò rỉ một "
              "figure. Chỉ mở figure bạn trả về, hoặc đóng các figure khác bằng plt.close(...)."})


@pytest.mark.reported
def test_plot_feature_maps_one_gray_panel_per_channel(no_figure_left_open):
    maps = torch.rand(1, 4, 10, 12)
    facts = probe("figure_facts", fm, "plot_feature_maps", maps, "Layer 1 - edges")
    no_figure_left_open.append(facts)
    assert facts["is_figure"], msg(f"returned {facts['type']}; expected a Figure",
                                   f"trả về {facts['type']}; cần một Figure")
    panels = facts["panels"]
    assert len(panels) == 4, msg(
        f"the figure has {len(panels)} panels with an image; expected 4, one per channel",
        f"figure có {len(panels)} ô chứa ảnh; cần 4, mỗi kênh một ô")
    for i, panel in enumerate(panels):
        shown = panel["array"]
        assert tuple(shown.shape) == (10, 12), msg(
            f"panel {i} shows an array of {tuple(shown.shape)}; expected (10, 12)",
            f"ô {i} hiển thị mảng {tuple(shown.shape)}; cần (10, 12)")
        assert torch.allclose(shown, maps[0, i].double()), msg(
            f"panel {i} does not show channel {i}", f"ô {i} không hiển thị kênh {i}")
        assert panel["cmap"] == "gray", msg(
            f"panel {i} uses cmap {panel['cmap']!r}",
            f"ô {i} dùng cmap {panel['cmap']!r}; cần cmap='gray'")
        assert not panel["axis_on"], msg(f"panel {i} still shows its axes: call ax.axis('off')",
                                         f"ô {i} vẫn hiện các trục: hãy gọi ax.axis('off')")
    title = facts["suptitle"]
    assert title == "Layer 1 - edges", msg(
        f"the figure's title is {title!r}; use fig.suptitle(title)",
        f"tiêu đề của figure là {title!r}; hãy dùng fig.suptitle(title)")
