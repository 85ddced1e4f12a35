"""gunicorn.conf.py: the app and the heavy libraries preloaded, workers from the env."""

import gc
import os
import runpy
import subprocess
import sys

import pytest

from wcc_site.settings import BASE_DIR

CONF = BASE_DIR / "gunicorn.conf.py"


def test_gunicorn_conf_preloads_the_app_with_two_workers_of_four_threads(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)

    conf = runpy.run_path(str(CONF))

    assert (conf["preload_app"], conf["workers"], conf["threads"]) == (True, 2, 4)
    assert conf["wsgi_app"] == "wcc_site.wsgi:application"
    assert {"pandas", "weasyprint", "matplotlib.figure"} <= set(sys.modules)


def test_gunicorn_conf_freezes_the_masters_objects_before_each_fork():
    conf = runpy.run_path(str(CONF))
    gc.unfreeze()
    try:
        conf["pre_fork"](server=None, worker=None)

        assert gc.get_freeze_count() > 10_000  # Django, pandas, WeasyPrint and the site
    finally:
        gc.unfreeze()  # this test process goes on collecting as usual


def test_gunicorn_conf_makes_the_code_token_before_forking():
    from reports.kept import code_token

    conf = runpy.run_path(str(CONF))
    code_token.cache_clear()

    conf["when_ready"](server=None)

    assert code_token.cache_info().currsize == 1


def test_gunicorn_conf_reads_workers_and_threads_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")

    conf = runpy.run_path(str(CONF))

    assert (conf["workers"], conf["threads"]) == (3, 8)


@pytest.mark.parametrize("value", ["two", "0", "-1"])
def test_gunicorn_conf_refuses_a_malformed_worker_count(monkeypatch, value):
    monkeypatch.setenv("WEB_CONCURRENCY", value)

    with pytest.raises(RuntimeError, match=r"^WEB_CONCURRENCY must be a whole number"):
        runpy.run_path(str(CONF))


def test_gunicorn_accepts_the_conf_and_loads_the_app():
    result = subprocess.run(  # noqa: S603 (our own gunicorn and fixed arguments)
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", str(CONF)],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (result.returncode, result.stderr) == (0, "")
