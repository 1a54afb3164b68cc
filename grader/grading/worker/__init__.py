"""Student code in its own process: the trusted tests call it over a pipe. Grading only:
the student bundle does not ship it, and the testkit reaches it only through
``grader.testkit.isolation``, which ``plugin`` fills.

* ``plugin``: the pytest plugin of the trusted run (``-p grader.grading.worker.worker_plugin
  --cnnkit-worker``): its options, and one ``WorkerSession`` in ``config.stash``;
* ``session``: the session's boxes and workers, one per topic, as the testkit's runner;
* ``objects``: what crosses the wire: mirrors of student modules, handles, remote errors;
* ``wire``: framing, and the two encodings (pickle from the trusted side only; the
  worker's replies are read with ``torch.load(weights_only=True)`` and an allowlist);
* ``worker``: the untrusted loop (``python -m grader.grading.worker.worker``), run in the box;
* ``module_state``: a mirrored module's state there: the trusted side's values put in
  before a call, and which tensors the call changed (only those go back);
* ``client``: the trusted side: starts the worker in its box, calls, restarts it.

The probes and guards that run beside the student's code are the testkit's
(``grader.testkit.probes``, ``grader.testkit.guards``): they run in-process at a
student's desk, and in the worker when grading.
"""

# The pytest arguments that put a trusted run's student code in the worker.
PYTEST_ARGS = ("-p", "grader.grading.worker.worker_plugin", "--cnnkit-worker")
