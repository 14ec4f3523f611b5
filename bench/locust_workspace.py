"""Locust users of ``bench_web.py``: workspace accounts that log in once, then read cases.

``bench_web.py`` runs this file with ``locust --headless``. It names in
``XWQL_BENCH_SEATS`` a JSON list of seats, one per simulated user in the order
they start: the account's name and password and the case ids it may open. Each
user logs in through the login form (its hidden token and cookie, as a browser
sends them back), then goes round the cases list, one of its cases and the start
page, waiting ``XWQL_BENCH_THINK`` ("MIN MAX" seconds) between pages, as a clerk
reads a page before the next click. Every request is written down for
``bench_web.py`` (``locust_common.py``).

Each user connects from an address of its own on the loopback (127.0.x.y): the
login limit counts attempts per address (ten a minute), as it would for clerks
at their own desks; from one address the eleventh login of a minute is refused.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any, ClassVar

from locust import HttpUser, SequentialTaskSet, between, task
from locust.exception import StopUser
from locust_common import connect_from, source_address

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
SEATS: list[dict[str, Any]] = json.loads(Path(os.environ["XWQL_BENCH_SEATS"]).read_text())
THINK_MIN, THINK_MAX = (float(s) for s in os.environ.get("XWQL_BENCH_THINK", "1 3").split())
_started = itertools.count()


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
        connect_from(self, source_address(number))
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
