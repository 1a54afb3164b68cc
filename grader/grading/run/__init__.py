"""The trusted run of one topic: the run folder, the kit's test list, the trusted
pytest started and watched, why a run died, the restart loop, and the warm trusted
template with its result channel and message scrubbing."""
