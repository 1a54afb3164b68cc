"""Exporters for instructors: stubs from solutions, the student bundle, nbgrader notebooks.
Not in the student bundle."""
