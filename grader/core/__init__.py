"""Shared by every part of the kit: paths, the topic manifest, languages, errors,
atomic files, solution markers, the pytest command line and the test-result record."""
