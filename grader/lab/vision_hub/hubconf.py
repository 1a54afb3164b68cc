"""torchvision's hub entry points, as ``pytorch/vision``'s own hubconf.py lists them
(classification, segmentation and optical-flow builders, ``get_model_weights``,
``get_weight``), taken from the installed torchvision."""

dependencies = ["torch"]

from torchvision import models as _models  # noqa: E402
from torchvision.models import get_model_weights, get_weight  # noqa: E402,F401


def _entry_points() -> list[str]:
    names: list[str] = []
    for module in (_models, _models.segmentation, _models.optical_flow):
        names += _models.list_models(module=module)
    return names


for _name in _entry_points():
    globals()[_name] = _models.get_model_builder(_name)
