"""Graded training: the run in its box, the exchange with it, the hidden test set
and the devices it runs on."""
