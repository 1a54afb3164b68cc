"""What exercise tests import: the harness that loads the target's files, assertion
helpers whose failures teach, hypothesis strategies, architecture comparison, error
explanations and the pytest plugin. Ships in the student bundle."""
