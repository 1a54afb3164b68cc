"""The ground the worker, the trusted run and the class view stand on: bubblewrap
boxes, the host uids they run as, and files copied or removed without following links."""
