"""gunicorn for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Workers share nothing but the database (and Redis, if set), so any number may run on
any number of hosts. The scheduler is its own process (``flask … scheduler``), never here.
"""

import ctypes
import ctypes.util
import gc
import os
import shutil
import tempfile

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
#: A request taking longer is cut off and its worker replaced.
timeout = int(os.environ.get("WEB_TIMEOUT_SECONDS", "30"))
graceful_timeout = 30
#: Replace workers now and then, so a slow leak never grows large (0: never).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Give the workers one fresh folder in which their Prometheus counts add up."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="inclusion-metrics-")


#: glibc's mallopt parameter for the number of memory arenas.
_M_ARENA_MAX = -8


def post_fork(server, worker):
    """Two malloc arenas per worker, not eight per core: each thread would otherwise get
    an arena of its own, and a worker's memory grew by the peak of each (measured by
    ``make bench``). Environment variables come too late for a forked worker."""
    libc = ctypes.util.find_library("c")
    if libc:
        ctypes.CDLL(libc).mallopt(_M_ARENA_MAX, 2)


def post_worker_init(worker):
    """Leave the loaded app's objects out of every later full garbage collection.

    A page at national scale allocates enough to start a full collection every few
    requests; each walked the app's ~190,000 long-lived objects, a third of a
    dashboard's time and most of its p95 (``make bench``).
    """
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
