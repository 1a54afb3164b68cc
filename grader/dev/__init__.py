"""Maintainer tools: ``cnnkit dev check`` and ``cnnkit dev sync``. Not in the student bundle."""
