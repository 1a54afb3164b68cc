"""The student's loop: list, check, hint, watch, solution, figures. Ships in the bundle."""
