"""gunicorn hooks for `civicgrid serve` (loaded with `--config python:civicgrid.core.gunicorn_conf`)."""


def child_exit(server, worker) -> None:
    # The request metrics of a worker that ended stay counted; its live gauges are dropped
    # (prometheus_client's multiprocess mode: civicgrid/monitoring.py).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
