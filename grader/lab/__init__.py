"""The course's material at run time: data sets, pretrained weights, training plumbing."""
