"""Locust users of ``bench_web.py``: workspace accounts that log in once, then read cases.

``bench_web.py`` runs this file with ``locust --headless``. It names in
``XWQL_BENCH_SEATS`` a JSON list of seats, one per simulated user in the order
they start: the account's name and password and the case ids it may open. Each
user logs in through the login form (its hidden token and cookie, as a browser
sends them back), then goes round the cases list, one of its cases and the start
page, waiting ``XWQL_BENCH_THINK`` ("MIN MAX" seconds) between pages, as a clerk
reads a page before the next click. Every request is written, when locust ends,
to the CSV file ``XWQL_BENCH_REQUESTS`` names (route, start, milliseconds, error):
``bench_web.py`` takes its figures from there, exact and over the window it
chooses (locust's own tables round percentiles over 100 ms to tens of
milliseconds and cover the whole run only).

Each user connects from an address of its own on the loopback (127.0.x.y): the
login limit counts attempts per address (ten a minute), as it would for clerks
at their own desks; from one address the eleventh login of a minute is refused.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any, ClassVar

from locust import HttpUser, SequentialTaskSet, between, events, task
from locust.clients import LocustHttpAdapter
from locust.exception import StopUser
from urllib3 import PoolManager

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
SEATS: list[dict[str, Any]] = json.loads(Path(os.environ["XWQL_BENCH_SEATS"]).read_text())
THINK_MIN, THINK_MAX = (float(s) for s in os.environ.get("XWQL_BENCH_THINK", "1 3").split())
_started = itertools.count()
_requests: list[tuple[str, float, float, str]] = []


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    start_time: float,
    exception: BaseException | None,
    **_: Any,
) -> None:
    error = "" if exception is None else " ".join(str(exception).split())[:200]
    _requests.append((f"{request_type} {name}", start_time, response_time, error))


@events.quitting.add_listener
def _write(**_: Any) -> None:
    with Path(os.environ["XWQL_BENCH_REQUESTS"]).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["route", "start", "ms", "error"])
        writer.writerows(_requests)


def source_address(number: int) -> str:
    """The loopback address user ``number`` connects from (127.0.0.1 is left to others)."""
    return f"127.0.{1 + number // 250}.{2 + number % 250}"


class Round(SequentialTaskSet):
    """The pages a clerk goes through, in order, again and again."""

    user: Clerk

    @task
    def cases_list(self) -> None:
        self.client.get("/w/cases", name="/w/cases")

    @task
    def case_page(self) -> None:
        case = random.choice(self.user.seat["cases"])
        self.client.get(f"/w/cases/{case}", name="/w/cases/[id]")

    @task
    def start_page(self) -> None:
        self.client.get("/w", name="/w")


class Clerk(HttpUser):
    """One workspace account at its own desk."""

    wait_time = between(THINK_MIN, THINK_MAX)
    tasks: ClassVar[list[type[SequentialTaskSet]]] = [Round]

    def on_start(self) -> None:
        number = next(_started)
        self.seat = SEATS[number % len(SEATS)]
        pool = PoolManager(source_address=(source_address(number), 0))
        self.client.mount("http://", LocustHttpAdapter(pool_manager=pool))
        form = self.client.get("/login", name="/login")
        match = FORM_TOKEN.search(form.text)
        fields = {
            "name": self.seat["name"],
            "password": self.seat["password"],
            "form_token": match.group(1) if match else "",
        }
        with self.client.post(
            "/login", data=fields, name="/login", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 303 or answer.headers.get("location") != "/w":
                answer.failure(f"login of {self.seat['name']} refused ({answer.status_code})")
                raise StopUser()
