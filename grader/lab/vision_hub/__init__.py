"""A torch hub repository for ``pytorch/vision``: its ``hubconf.py`` serves the installed
torchvision's models, so the slides' ``torch.hub.list`` / ``torch.hub.load`` run offline
(see ``grader.lab.hub_offline``)."""
