"""The fixed failure ids: what failed, in no language (a test's own failures have site ids,
``grader.testkit.failure_ids``). The class report groups failures by id and labels each
fixed one in the reader's language (``grader.grading.classview.concepts``)."""

MISSING_FILE = "missing_file"
SYNTAX_ERROR = "syntax_error"
IMPORT_ERROR = "import_error"
IMPORT_KINDS = (MISSING_FILE, SYNTAX_ERROR, IMPORT_ERROR)  # why an exercise file did not import
NOT_ATTEMPTED = "not_attempted"  # NotImplementedError: the TODO is still there
STOPPED = "stopped"  # the test's time ran out, or the run died before its result
SELF_REPORT = "self_report"  # a reported test that waits for the exercise's other tests
ZEROED_BY_RULE = "zeroed_by_rule"  # a passed test of an exercise whose rule failed
UNGRADED = "ungraded"  # the grader could not grade the student (the machine's fault)
FIXED = (*IMPORT_KINDS, NOT_ATTEMPTED, STOPPED, SELF_REPORT, ZEROED_BY_RULE, UNGRADED)
