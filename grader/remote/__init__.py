"""Student code in its own process: the trusted tests call it over a pipe.

* ``objects``: what crosses the wire: mirrors of student modules, handles, remote errors;
* ``wire``: framing, and the two encodings (pickle from the trusted side only; the
  worker's replies are read with ``torch.load(weights_only=True)`` and an allowlist);
* ``worker``: the untrusted loop (``python -m grader.remote.worker``), run in the box;
* ``client``: the trusted side: starts the worker in its box, calls, restarts it;
* ``probes``: kit functions run beside the student's code, returning plain data.
"""
