"""Two web servers and two workers sharing one database and one bucket: `make two-servers`.

    .venv/bin/python deploy/two_servers.py [--skip-timing] [--batch-timeout 900]

What a deployment on several machines relies on, tried on this one (docs/deployment.md):
a throw-away PostgreSQL cluster (``initdb`` in a temporary folder, as ``make loadtest``
does) and moto's S3 server, both on 127.0.0.1; ``migrate``, ``load_reference_data`` and
``seed_demo``; then two gunicorn servers (A and B, each with the repository's
``gunicorn.conf.py``) and two ``manage.py db_worker`` processes, all with
``STORAGE_BACKEND=s3``. It checks, printing each check:

(a) a report batch of round 2009-10 started through server A (as ``national``) is
    finished by the two workers through the queue: one item, one stored report and one S3
    object per report, every task run once, both workers made some; a report downloaded
    through B is the S3 object byte for byte;
(b) a session started by logging in on A shows a logged-in page on B (same cookie);
(c) an evidence file uploaded through A (as ``board.5pe``) downloads byte-identical
    through B;
(d) the figures A computed for the league table's XLSX and the cross-check are read by B
    from the shared cache (``CACHE_URL``): a Redis server on 127.0.0.1 when
    ``redis-server`` is installed (``apt-get install redis-server``), else a directory both
    servers share. B's answers are A's, B writes nothing to the cache, and Redis counts B's
    reads as hits.

Unless ``--skip-timing``: the same batch again (stored reports forgotten so that every
report is rendered again) with worker B stopped: the two times, their ratio (judged
against 0.6 only when the two workers got about two cores between them: on a machine
busy with other jobs the ratio measures those), the CPU the workers used, and their memory
(RSS) before and after. Exits 1 if a check failed; every process it started is stopped and
every file removed, whatever happens.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gunicorn  # noqa: E402
import requests  # noqa: E402

from loadtest.run import Postgres, free_port  # noqa: E402

ROUND = "2009-10"
BUCKET = "wcc-two-servers"
PASSWORD = "two-servers-demo"  # noqa: S105 (a throw-away demo database)


def say(text: str) -> None:
    print(f"[two-servers {time.strftime('%H:%M:%S')}] {text}", flush=True)


class Processes:
    """The long-running processes started here, each with its log file, all stopped at
    the end (gunicorn's master stops its own workers)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running[name] = process
        return process

    def log_tail(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-1500:]

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def wait_for(url: str, process: subprocess.Popen, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=5)
            return
        if process.poll() is not None:
            break
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer at {url}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Checks:
    def __init__(self):
        self.failed: list[str] = []

    def __call__(self, ok: bool, text: str) -> bool:
        print(f"  [{'ok' if ok else 'FAILED'}] {text}", flush=True)
        if not ok:
            self.failed.append(text)
        return ok


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
        allow_redirects=False,
    )
    if response.status_code != 302 or "/accounts/login/" in response.headers["Location"]:
        raise RuntimeError(f"logging in as {username} on {base} failed: {response.status_code}")
    return session


def same_session_on(session: requests.Session) -> requests.Session:
    """A new client that carries only ``session``'s cookies (as a browser would to the
    other server behind the same address)."""
    other = requests.Session()
    for name in ("sessionid", "csrftoken"):
        other.cookies.set(name, session.cookies[name])
    return other


def post(session: requests.Session, url: str, **kwargs) -> requests.Response:
    data = {**kwargs.pop("data", {}), "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(url, data=data, timeout=60, allow_redirects=False, **kwargs)


def run_batch(session: requests.Session, start_on: str, watch_on: str, timeout: float):
    """Start a batch through ``start_on``, follow its progress through ``watch_on``;
    returns the finished batch and the wall-clock seconds."""
    from reports.models import ReportBatch

    page = f"{start_on}/reports/batches/{ROUND}/"
    session.get(page, timeout=30).raise_for_status()
    started = time.monotonic()
    response = post(session, page)
    if response.status_code != 302:
        raise RuntimeError(f"starting the batch answered {response.status_code}")
    progress = f"{watch_on}/reports/batches/{ROUND}/progress.json"
    shown = 0.0
    while time.monotonic() - started < timeout:
        batch = session.get(progress, timeout=30).json()["batch"]
        if time.monotonic() - shown >= 15:
            shown = time.monotonic()
            say(f"  {batch['summary']}")
        if not batch["active"]:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"the batch did not finish within {timeout:.0f} s")
    wall = time.monotonic() - started
    return ReportBatch.objects.get(pk=batch["id"]), wall


def check_batch(check: Checks, batch, s3, workers: dict) -> None:
    from django_tasks_db.models import DBTaskResult

    from reports.models import ReportBatchItem, StoredReport
    from reports.storage import reportable_assessments

    expected = reportable_assessments(round_=batch.round).count()
    items = ReportBatchItem.objects.filter(batch=batch)
    check(
        batch.status == "done" and batch.error == "",
        f"batch {batch.pk} is done: {batch.done} of {batch.total} reports, error {batch.error!r}",
    )
    check(
        batch.total == expected == items.count() == items.filter(status="done").count(),
        f"one item per reportable assessment, all done: {expected} assessments, "
        f"{items.count()} items, {items.filter(status='done').count()} done",
    )
    tasks = DBTaskResult.objects.filter(task_path="reports.tasks.report_batch_item_generate")
    check(
        tasks.count() == expected and tasks.filter(status="SUCCESSFUL").count() == expected,
        f"one task per item, each run once and successful: {tasks.count()} tasks, "
        f"{tasks.filter(status='SUCCESSFUL').count()} successful",
    )
    stored = StoredReport.objects.filter(assessment__round=batch.round)
    check(
        batch.rendered == expected and stored.count() == expected,
        f"every report rendered once and recorded once: {batch.rendered} rendered, "
        f"{stored.count()} StoredReport rows",
    )
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=f"reports/{ROUND}/"
        )
        for o in page.get("Contents", [])
    ]
    check(
        sorted(keys) == sorted(stored.values_list("path", flat=True)),
        f"one S3 object per stored report: {len(keys)} objects under reports/{ROUND}/",
    )
    by_worker = {}
    for worker in items.values_list("worker", flat=True):
        by_worker[worker] = by_worker.get(worker, 0) + 1
    pids = {str(p.pid): name for name, p in workers.items()}
    shares = ", ".join(
        f"{pids.get(w.rsplit(':', 1)[-1], w)}: {n}" for w, n in sorted(by_worker.items())
    )
    check(
        len(by_worker) == 2 and all(w.rsplit(":", 1)[-1] in pids for w in by_worker),
        f"both workers made reports ({shares})",
    )


def timed_batch(session, a: str, b: str, timeout: float, workers: dict):
    """``run_batch`` with what the workers used meanwhile: CPU seconds and memory."""
    cpu = {n: cpu_seconds(p.pid) for n, p in workers.items()}
    load = os.getloadavg()[0]
    batch, wall = run_batch(session, a, b, timeout)
    used = {n: cpu_seconds(p.pid) - cpu[n] for n, p in workers.items()}
    seconds = batch.elapsed_seconds()
    print(
        f"  {len(workers)} worker(s): {batch.total} reports in {seconds} s (wall {wall:.0f} s); "
        f"CPU used: {', '.join(f'{n} {c:.0f} s' for n, c in used.items())}, "
        f"{sum(used.values()) / max(seconds, 1):.2f} cores on average; load average "
        f"{load:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)",
        flush=True,
    )
    return batch, seconds, sum(used.values()) / max(seconds, 1)


class SharedCache:
    """The cache both servers share: Redis when ``redis-server`` is installed, else a
    directory. ``writes()`` changes whenever anything is written to it."""

    def __init__(self, folder: Path, processes: Processes):
        self.redis = None
        self.directory = folder / "cache"
        if shutil.which("redis-server"):
            port = free_port()
            process = processes.start(
                "redis",
                [
                    *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no"),  # a cache: nothing on disk
                ],
                env={**os.environ},
            )
            import redis

            self.redis = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
            deadline = time.monotonic() + 30
            while True:
                try:
                    self.redis.ping()
                    break
                except redis.RedisError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not answer") from None
                    time.sleep(0.2)
            self.url = f"redis://127.0.0.1:{port}/0"
        else:
            self.url = f"file://{self.directory}"

    @property
    def name(self) -> str:
        return "Redis" if self.redis is not None else f"the directory {self.directory}"

    def writes(self):
        """Redis: how many SETs it has run; a directory: each file's name and time."""
        if self.redis is not None:
            return self.redis.info("commandstats").get("cmdstat_set", {}).get("calls", 0)
        return sorted((p.name, p.stat().st_mtime_ns) for p in self.directory.glob("*"))

    def hits(self) -> int | None:
        return self.redis.info("stats")["keyspace_hits"] if self.redis is not None else None


def check_shared_figures(check: Checks, cache: SharedCache, national, a: str, b: str) -> None:
    """(d): what A computed is what B answers, read from the shared cache."""
    on_b = same_session_on(national)
    for what, path in (
        ("the league table's XLSX", f"/reports/league-table/{ROUND}/?format=xlsx"),
        ("the cross-check", f"/reports/cross-check/{ROUND}/"),
    ):
        start = time.perf_counter()
        from_a = national.get(f"{a}{path}", timeout=120)
        took_a = time.perf_counter() - start
        writes, hits = cache.writes(), cache.hits()
        start = time.perf_counter()
        from_b = on_b.get(f"{b}{path}", timeout=120)
        took_b = time.perf_counter() - start
        same = (
            from_a.content == from_b.content
            if path.endswith("xlsx")
            else from_a.text.count("<tr") == from_b.text.count("<tr") > 1
        )
        check(
            from_a.status_code == from_b.status_code == 200 and same,
            f"{what}: A computed it in {took_a * 1000:.0f} ms; B, whose worker had not "
            f"computed it, answered the same in {took_b * 1000:.0f} ms",
        )
        check(cache.writes() == writes, f"{what}: B wrote nothing to {cache.name}")
        if hits is not None:
            check(cache.hits() > hits, f"{what}: Redis counted B's reads as hits")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skip-timing", action="store_true", help="no second batch with one worker"
    )
    parser.add_argument("--batch-timeout", type=float, default=900, help="seconds per batch")
    args = parser.parse_args()

    check = Checks()
    folder = Path(tempfile.mkdtemp(prefix="wcc-two-servers-"))
    processes = Processes(folder)
    pg = None
    try:
        say(f"PostgreSQL and moto's S3 server on 127.0.0.1 (files in {folder})")
        pg = Postgres(folder)
        pg.start()
        pg.run("createdb", "-h", "127.0.0.1", "-p", pg.port, "-U", "postgres", "wcc")
        s3_port = free_port()
        moto = processes.start(
            "moto",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
            env={**os.environ},
        )
        endpoint = f"http://127.0.0.1:{s3_port}"
        wait_for(endpoint, moto, "moto's S3 server")
        cache = SharedCache(folder, processes)
        say(f"the shared cache: {cache.name} ({cache.url})")
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")
            },
            "DATABASE_URL": pg.url,
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media-unused"),  # S3 holds every file
            "STORAGE_BACKEND": "s3",
            "CACHE_URL": cache.url,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "two-servers",
            "AWS_SECRET_ACCESS_KEY": "two-servers",  # moto accepts any
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "DEMO_PASSWORD": PASSWORD,
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DJANGO_SETTINGS_MODULE": "wcc_site.settings",
            "WEB_CONCURRENCY": "1",  # two servers on two shared cores
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(env)  # this process reads the same database and bucket
        import boto3

        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)

        for command in (
            ["migrate"],
            ["load_reference_data"],
            ["seed_demo"],
            ["collectstatic", "--noinput"],
        ):
            say(f"manage.py {' '.join(command)}")
            subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", *command, "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )

        servers = {}
        for name in ("A", "B"):
            port = free_port()
            # gunicorn >= 27 opens a control socket, by default one path per user: one each.
            control = (
                [f"--control-socket={folder / f'gunicorn-{name}.ctl'}"]
                if int(gunicorn.__version__.split(".")[0]) >= 27
                else []
            )
            process = processes.start(
                f"gunicorn-{name}",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    f"--bind=127.0.0.1:{port}",
                    *control,
                ],
                env,
            )
            servers[name] = f"http://127.0.0.1:{port}"
            wait_for(f"{servers[name]}/healthz/", process, f"gunicorn {name}")
        workers = {
            name: processes.start(
                f"worker-{name}",
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--no-startup-delay",
                    "--interval",
                    "0.5",
                ],
                env,
            )
            for name in ("worker 1", "worker 2")
        }
        a, b = servers["A"], servers["B"]
        say(f"servers A {a} and B {b}, workers pid {[p.pid for p in workers.values()]}")

        import django

        django.setup()

        print("\n(b) a session started on A continues on B", flush=True)
        national = login(a, "national")
        on_b = same_session_on(national)
        page = on_b.get(f"{b}/", timeout=30)
        anonymous = requests.get(f"{b}/", timeout=30)
        check(
            page.status_code == 200 and "Log out</button>" in page.text,
            f"B answers {page.status_code} with a logged-in page (Log out button) for A's cookie",
        )
        check(
            "Log out</button>" not in anonymous.text,
            "B without the cookie shows the logged-out page",
        )

        print("\n(c) evidence uploaded through A downloads byte-identical through B", flush=True)
        from assessments.models import EvidenceDocument

        board = login(a, "board.5pe")
        content = ("Evidence for the two-servers check\n" + secrets.token_hex(2000)).encode()
        title = f"Two servers check {secrets.token_hex(4)}"
        uploaded = post(
            board,
            f"{a}/assessments/{ROUND}/5PE/evidence/",
            data={"doc_type": "other", "title": title},
            files={"file": ("two-servers.txt", content, "text/plain")},
        )
        document = EvidenceDocument.objects.filter(title=title).first()
        check(
            uploaded.status_code == 302 and document is not None,
            f"A accepted the upload ({uploaded.status_code}) and recorded it",
        )
        if document is not None:
            stored = s3.get_object(Bucket=BUCKET, Key=document.file.name)["Body"].read()
            check(stored == content, f"the bucket holds it as {document.file.name}")
            downloaded = same_session_on(board).get(
                f"{b}/assessments/evidence/{document.pk}/", timeout=30
            )
            check(
                downloaded.status_code == 200 and downloaded.content == content,
                f"B serves it byte-identical ({len(downloaded.content)} of {len(content)} bytes)",
            )

        print(f"\n(d) figures computed through A are read by B from {cache.name}", flush=True)
        check_shared_figures(check, cache, national, a, b)

        print(f"\n(a) a batch of {ROUND} started on A, made by the two workers", flush=True)
        rss_before = {n: rss_mib(p.pid) for n, p in workers.items()}
        batch, two, cores_two = timed_batch(national, a, b, args.batch_timeout, workers)
        rss_after = {n: rss_mib(p.pid) for n, p in workers.items()}
        check_batch(check, batch, s3, workers)
        from reports.models import StoredReport

        sample = StoredReport.objects.filter(assessment__round=batch.round).first()
        if sample is not None:
            ods = sample.assessment.pct.ods_code
            pdf = on_b.get(f"{b}/reports/pct/{ods}/{ROUND}.pdf", timeout=60)
            object_bytes = s3.get_object(Bucket=BUCKET, Key=sample.path)["Body"].read()
            check(
                pdf.status_code == 200 and pdf.content == object_bytes,
                f"B serves {ods}'s report as the S3 object, byte for byte ({len(pdf.content)} B)",
            )

        if not args.skip_timing:
            print("\nThe same batch with one worker (stored reports forgotten)", flush=True)
            processes.stop("worker-worker 2")
            StoredReport.objects.filter(assessment__round=batch.round).delete()
            alone = {"worker 1": workers["worker 1"]}
            single, one, _ = timed_batch(national, a, b, args.batch_timeout, alone)
            rss_single = rss_mib(workers["worker 1"].pid)
            check(
                single.status == "done" and single.rendered == single.total,
                f"1 worker: {single.rendered} of {single.total} reports rendered again",
            )
            ratio = two / one if one else float("nan")
            print(
                f"\nBatch of {batch.total} reports: 1 worker {one} s, 2 workers {two} s, "
                f"ratio {ratio:.2f}",
                flush=True,
            )
            if cores_two >= 1.5:
                check(ratio <= 0.6, f"2 workers take at most 0.6x the time of one ({ratio:.2f})")
            else:  # the figure measures the machine's other jobs, not the code
                print(
                    f"  [not judged] 2 workers at most 0.6x the time of one ({ratio:.2f}): "
                    f"the two workers had {cores_two:.2f} cores between them, not two "
                    "(see the load average): run it again on a quiet machine",
                    flush=True,
                )
            rss_after["worker 1 after the 1-worker batch"] = rss_single
            check(
                rss_single <= rss_after["worker 1"] * 1.1,
                f"worker 1's memory stays flat over a second batch: "
                f"{rss_after['worker 1']:.0f} MiB after the first, {rss_single:.0f} after it",
            )
        print("\nWorkers' memory (RSS, MiB):", flush=True)
        for name in rss_before:
            print(f"  {name}: {rss_before[name]:.0f} before, {rss_after[name]:.0f} after")
        if "worker 1 after the 1-worker batch" in rss_after:
            print(
                f"  worker 1 after the 1-worker batch too: "
                f"{rss_after['worker 1 after the 1-worker batch']:.0f}"
            )
    except Exception as exc:
        check(False, f"{type(exc).__name__}: {exc}")
        for name in processes.running:
            if processes.running[name].poll() is not None:
                print(f"--- {name} exited; its log ends:\n{processes.log_tail(name)}")
    finally:
        processes.stop_all()
        if pg is not None:
            with contextlib.suppress(Exception):
                pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if check.failed:
        print(f"\nFAILED: {len(check.failed)} check(s)", flush=True)
        return 1
    print("\nAll checks passed.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
