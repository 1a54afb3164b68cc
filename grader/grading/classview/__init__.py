"""The instructor's view of a graded class: report page, concepts missed, similar
submissions, roster matching and gradebook exports for Moodle and Canvas.

Instructor side only: nothing here is imported by the student bundle."""
