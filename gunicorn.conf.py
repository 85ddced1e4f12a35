"""gunicorn's settings for WCC Assurance (``gunicorn -c gunicorn.conf.py wcc_site.wsgi``).

The master process imports Django, the site and the heavy libraries the reports use
(pandas, WeasyPrint, matplotlib) once, before forking its workers (``preload_app``): the
workers share those pages of memory copy-on-write, start in an instant, and no user waits
for a second of imports on the first report or league table after a restart.

Workers and threads come from the environment: ``WEB_CONCURRENCY`` (processes, default 2:
one per core on the project's machines) and ``GUNICORN_THREADS`` (threads per process,
default 4; the pages wait mostly on PostgreSQL). ``--bind`` and anything else can be given
on the command line, which wins over this file (docs/deployment.md).
"""

import os


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1; got {value!r}.")
    return int(value)


wsgi_app = "wcc_site.wsgi:application"
preload_app = True
workers = _whole_number("WEB_CONCURRENCY", 2)
threads = _whole_number("GUNICORN_THREADS", 4)
# Behind nginx, which keeps connections to us alive; a little longer than its idle time.
keepalive = 5
# A PDF rendered on request takes about a second; 30 s is far beyond any healthy request.
timeout = 30
# Recycle a worker now and then (WeasyPrint's memory grows); preloaded, a new
# worker is ready at once. The jitter keeps workers from restarting together.
max_requests = 2000
max_requests_jitter = 200

# The heavy libraries, imported in the master before the fork (the point of this file).
import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no display; as reports/charts.py

import matplotlib.figure  # noqa: E402
import pandas  # noqa: E402, F401
import weasyprint  # noqa: E402, F401


def when_ready(server):
    """Runs in the master after the site was loaded, before the first fork: no database
    connection opened while loading may be inherited (and shared) by the workers; and the
    digest of the code that names the shared figures (``reports.kept.code_token``, 23 ms of
    reading files) is made once here for every worker."""
    from django.db import connections

    from reports.kept import code_token

    connections.close_all()
    code_token()


def pre_fork(server, worker):
    """Runs in the master before each worker is forked: what the master holds (the site,
    pandas, WeasyPrint, matplotlib) is moved out of the garbage collector's reach
    (``gc.freeze``), so that a worker's collections neither scan it nor write to its pages.
    Those pages then stay shared with the master instead of being copied into every worker:
    at 10,152 PCTs, after the same 150 requests, each worker's private memory was 73 MB
    instead of 108 MB (docs/performance.md, "Worker memory")."""
    import gc

    gc.collect()  # nothing left to free is frozen with the rest
    gc.freeze()
