"""Locust users of ``bench_web.py``'s scenario C: villagers reading the board, and a flood.

``bench_web.py`` runs this file with ``locust --headless``. ``XWQL_BENCH_BOARD``
names a JSON file: ``seats``, one per villager in the order they start (a village's
code and the verification codes of the notices it posted), and ``flood`` (the
village whose report form the flood uses, and the one address it comes from).

* :class:`Villager` (no login) opens its village's board ``/v/<village>``, then
  one of the village's notices ``/n/<code>``, again and again, waiting
  ``XWQL_BENCH_THINK`` ("MIN MAX" seconds) between pages. Each villager connects
  from a loopback address of its own (127.0.x.y), as phones on the village's
  network would: the look-ups of ``/n/<code>`` are limited per address.
* :class:`Flooder` (``XWQL_BENCH_FLOODERS`` of them, all from the same address)
  sends reports (反映问题) to the supervision committee without pause: the form's
  page (its token and cookie, as a browser sends them back), then the form. The
  first sends of the hour are accepted (303 to the receipt), then the address is
  over its limit and every send is refused (429); both count as expected answers,
  anything else as a failure.

Every request is written down for ``bench_web.py`` (``locust_common.py``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any, ClassVar

from locust import HttpUser, SequentialTaskSet, between, constant, task
from locust_common import connect_from, source_address

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
BOARD: dict[str, Any] = json.loads(Path(os.environ["XWQL_BENCH_BOARD"]).read_text())
THINK_MIN, THINK_MAX = (float(s) for s in os.environ.get("XWQL_BENCH_THINK", "0 0").split())
FLOODERS = int(os.environ.get("XWQL_BENCH_FLOODERS", "3"))
REPORT = "村里的路灯坏了一个月了，请监督委员会过问。"
_started = itertools.count()


class Reading(SequentialTaskSet):
    """A villager's round: the village's board, then one of its notices."""

    user: Villager

    @task
    def board(self) -> None:
        self.client.get(f"/v/{self.user.seat['village']}", name="/v/[village]")

    @task
    def notice(self) -> None:
        code = random.choice(self.user.seat["codes"])
        self.client.get(f"/n/{code}", name="/n/[code]")


class Villager(HttpUser):
    """One villager on a phone of their own."""

    wait_time = between(THINK_MIN, THINK_MAX)
    tasks: ClassVar[list[type[SequentialTaskSet]]] = [Reading]

    def on_start(self) -> None:
        number = next(_started)
        self.seat: dict[str, Any] = BOARD["seats"][number % len(BOARD["seats"])]
        connect_from(self, source_address(number))


class Flooder(HttpUser):
    """One of a few senders from the same address, posting reports as fast as answered."""

    fixed_count = FLOODERS
    abstract = FLOODERS == 0  # no flood: locust would otherwise give the class a weight
    wait_time = constant(0)

    def on_start(self) -> None:
        connect_from(self, BOARD["flood"]["address"])
        self.path = f"/v/{BOARD['flood']['village']}/report"

    @task
    def send(self) -> None:
        form = self.client.get(self.path, name="/v/[village]/report (flood)")
        match = FORM_TOKEN.search(form.text)
        fields = {"form_token": (None, match.group(1) if match else ""), "text": (None, REPORT)}
        with self.client.post(
            self.path, files=fields, name="/v/[village]/report (flood)",
            allow_redirects=False, catch_response=True,
        ) as answer:  # fmt: skip
            if answer.status_code in (303, 429):
                answer.success()
            else:
                answer.failure(f"report answered {answer.status_code}")
