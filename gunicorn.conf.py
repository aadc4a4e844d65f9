"""gunicorn's settings, read from the directory it starts in (README, "Several workers and
hosts"): with PROMETHEUS_MULTIPROC_DIR set, the metric files of the previous run are
removed at start, and a dead worker's are marked so its gauges stop counting."""

import os
from pathlib import Path


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
