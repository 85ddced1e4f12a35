"""Panel members scoring at once: log in, open the scoring page, save drafts, submit.

Run by ``loadtest/run.py`` (``make loadtest``), which starts the site and gives this file:

- ``LOADTEST_ACCOUNTS``: a JSON file of ``{"username", "path", "session"}``, one per
  simulated member: member *i* takes seat ``i mod seats`` of the seats at scoring (the
  demo's West Midlands panels of 2009-10): with 200 simulated members and 75 seats, two
  or three browsers share each seat account (a member with a laptop, a phone and a
  tablet), so the optimistic lock on the seat is exercised too: a stale save is refused,
  not acknowledged.
- ``LOADTEST_FORM_LOGINS``: the first N members log in through the login form (GET for
  the CSRF cookie, POST the demo password); the others start with the session made for
  them beforehand (``session``), since each form login costs about half a second of CPU
  (PBKDF2) and 200 of them at once keep a 2-core machine busy for minutes
  (docs/reliability.md).
- ``LOADTEST_RESULTS``: the JSON-lines file written here, one line per write attempt
  (``"sent"``) and per acknowledged write (``"ack"``), read by ``loadtest/check.py``.

**Acknowledged** means the member's browser was shown that the write happened:

- a draft: the POST answered 302 and the page it leads to says "Draft saved.";
- the first *Submit my scores* POST: 200 with the check page ("Confirm and submit my
  scores"), whose form carries the draft's new version (the draft was saved);
- the confirming POST: 302 and the page it leads to says "Your scores are submitted."

Each acknowledgement records the seat, the values sent and the seat's version after the
write (the version sent + 1), which orders the writes of one seat without relying on
clocks. A POST whose answer was lost (outage, end of run) is a ``"sent"`` line only.

Expected refusals are not failures: a save from a stale page (another browser of the same
seat saved first), a save after the seat was submitted, and, while PostgreSQL is down, the
503 page "The service is unavailable, try again shortly" (reported under its own name).
Anything else (500, no answer, a 503 without that page, a page we cannot read) fails.
"""

import itertools
import json
import os
import random
import threading
import time
import uuid

from locust import HttpUser, between, events, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from loadtest.forms import Forms

ACCOUNTS = json.loads(open(os.environ["LOADTEST_ACCOUNTS"]).read())  # noqa: SIM115
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "wcc-demo")
UNAVAILABLE = "The service is unavailable, try again shortly."
SUBMIT_SHARE = float(os.environ.get("LOADTEST_SUBMIT_SHARE", "0.1"))
FORM_LOGINS = int(os.environ.get("LOADTEST_FORM_LOGINS", "20"))

_next_account = itertools.count()
_lock = threading.Lock()
_results = open(os.environ["LOADTEST_RESULTS"], "a", buffering=1)  # noqa: SIM115


def record(**line):
    line["t"] = time.time()
    with _lock:
        _results.write(json.dumps(line) + "\n")


@events.quitting.add_listener
def _close(environment, **_kwargs):
    _results.close()


class Unreadable(Exception):
    pass


def score_values(form: dict, *, complete: bool) -> dict:
    """Random plausible scores: a level or light for each item (a few left blank in a
    draft), short notes."""
    values = {}
    for name, options in form["radios"].items():
        offered = [o for o in options if o]
        blank = not complete and random.random() < 0.1  # noqa: S311
        values[name] = "" if blank or not offered else random.choice(offered)  # noqa: S311
    for name in form["textareas"]:
        kind = "internal" if name.endswith("_internal") else "board"
        values[name] = f"{kind} note {uuid.uuid4().hex[:10]}"
    return values


class PanelMember(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        # As a browser does (RFC 9112, 9.3.1), a GET sent on a kept-alive connection that
        # the server closed at that moment (gunicorn closes idle ones after --keep-alive
        # seconds) is sent again once on a new connection; a POST never is, so every
        # save is still counted once, acknowledged or not.
        self.client.mount(
            "http://",
            HTTPAdapter(
                max_retries=Retry(
                    total=1,
                    connect=1,
                    read=1,
                    status=0,
                    other=0,
                    allowed_methods=frozenset({"GET", "HEAD"}),
                    raise_on_status=False,
                )
            ),
        )
        number = next(_next_account)
        account = ACCOUNTS[number % len(ACCOUNTS)]
        self.username, self.path = account["username"], account["path"]
        self.signed_in = False
        self.done = False
        if number < FORM_LOGINS:
            self.sign_in()
        else:
            self.client.cookies.set("sessionid", account["session"])
            self.signed_in = True

    # --- helpers ---------------------------------------------------------------------

    def expect(self, response, ok_statuses, *, name):
        """Classify an answer: returns True when it is one of ``ok_statuses``; the
        outage's 503 page and anything else are reported as failures (different names)."""
        if response.status_code in ok_statuses:
            response.success()
            return True
        if response.status_code == 503 and UNAVAILABLE in response.text:
            response.failure("503 unavailable page (database down)")
        else:
            response.failure(f"unexpected {response.status_code} on {name}")
            error = getattr(response, "error", None)
            record(
                kind="bad",
                status=response.status_code,
                name=name,
                user=self.username,
                error=repr(error)[:300] if error else response.text[:300],
            )
        return False

    def sign_in(self):
        with self.client.get("/accounts/login/", name="login page", catch_response=True) as r:
            if not self.expect(r, (200,), name="login page"):
                return
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if self.expect(r, (302,), name="log in"):
                self.signed_in = True

    def follow(self, response, *, name) -> str | None:
        """The page a 302 leads to (what the browser shows next), or None."""
        with self.client.get(response.headers["Location"], name=name, catch_response=True) as page:
            if self.expect(page, (200,), name=name):
                return page.text
        return None

    # --- the member's work -----------------------------------------------------------

    @task
    def score(self):
        if not self.signed_in:
            self.sign_in()
            return
        with self.client.get(self.path, name="scoring page", catch_response=True) as r:
            if not self.expect(r, (200,), name="scoring page"):
                return
            form = Forms(r.text).with_field("version")
            if form is None:
                # Submitted (by this or another browser of the seat): read-only from now.
                self.done = True
                return
        if random.random() < SUBMIT_SHARE:  # noqa: S311
            self.submit(form)
        else:
            self.save_draft(form)

    def post_scores(self, form: dict, values: dict, action: str, *, name: str):
        data = {
            "csrfmiddlewaretoken": form["fields"].get("csrfmiddlewaretoken", ""),
            "version": form["fields"]["version"],
            "action": action,
            **values,
        }
        version = int(form["fields"]["version"])
        record(
            kind="sent",
            user=self.username,
            path=self.path,
            posted_version=version,
            action=action,
            values=values,
        )
        return (
            data,
            version,
            self.client.post(
                self.path, data, name=name, allow_redirects=False, catch_response=True
            ),
        )

    def save_draft(self, form: dict):
        values = score_values(form, complete=False)
        _data, version, response = self.post_scores(form, values, "save", name="save draft")
        with response as r:
            if not self.expect(r, (302, 200), name="save draft"):
                return
            if r.status_code == 200:  # the form again: refused (stale page), not saved
                r.success()
                return
        page = self.follow(r, name="scoring page after save")
        if page is not None and "Draft saved." in page:
            record(
                kind="ack",
                what="draft",
                user=self.username,
                path=self.path,
                version=version + 1,
                values=values,
            )

    def submit(self, form: dict):
        values = score_values(form, complete=True)
        _data, _version, response = self.post_scores(form, values, "submit", name="submit")
        with response as r:
            if not self.expect(r, (200, 302), name="submit"):
                return
            confirm = Forms(r.text).with_field("confirm") if r.status_code == 200 else None
            if confirm is None or "Confirm and submit my scores" not in r.text:
                return  # refused (stale page or closed): not saved
        carried = confirm["fields"]
        saved_version = int(carried["version"])
        record(
            kind="ack",
            what="draft before check",
            user=self.username,
            path=self.path,
            version=saved_version,
            values=values,
        )
        sent_values = {k: v for k, v in carried.items() if k in values}
        record(
            kind="sent",
            user=self.username,
            path=self.path,
            posted_version=saved_version,
            action="confirm",
            values=sent_values,
        )
        with self.client.post(
            self.path, carried, name="confirm submit", allow_redirects=False, catch_response=True
        ) as r:
            if not self.expect(r, (302, 200), name="confirm submit"):
                return
            if r.status_code == 200:
                # The page again: refused, because another browser of the same seat saved
                # since the check page was shown (its version is stale). Not submitted.
                if "changed since you opened" in r.text:
                    r.success()
                else:
                    self.expect(r, (), name="confirm submit")
                return
        page = self.follow(r, name="scoring page after submit")
        if page is not None and "Your scores are submitted." in page:
            record(
                kind="ack",
                what="submit",
                user=self.username,
                path=self.path,
                version=saved_version + 1,
                values=sent_values,
            )
            self.done = True
