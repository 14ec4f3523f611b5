"""What the locust files of ``bench_web.py`` share: every request written down, and addresses.

Every request is written, when locust ends, to the CSV file ``XWQL_BENCH_REQUESTS``
names (route, start, milliseconds, HTTP status, error): ``bench_web.py`` takes its
figures from there, exact and over the window it chooses (locust's own tables
round percentiles over 100 ms to tens of milliseconds and cover the whole run only).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from locust import HttpUser, events
from locust.clients import LocustHttpAdapter
from urllib3 import PoolManager

_requests: list[tuple[str, float, float, int, str]] = []


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    start_time: float,
    exception: BaseException | None,
    response: Any = None,
    **_: Any,
) -> None:
    error = "" if exception is None else " ".join(str(exception).split())[:200]
    status = int(getattr(response, "status_code", 0) or 0)
    _requests.append((f"{request_type} {name}", start_time, response_time, status, error))


@events.quitting.add_listener
def _write(**_: Any) -> None:
    with Path(os.environ["XWQL_BENCH_REQUESTS"]).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["route", "start", "ms", "status", "error"])
        writer.writerows(_requests)


def source_address(number: int) -> str:
    """The loopback address user ``number`` connects from (127.0.0.1 is left to others)."""
    return f"127.0.{1 + number // 250}.{2 + number % 250}"


def connect_from(user: HttpUser, address: str) -> None:
    """Make ``user``'s requests leave from ``address`` (a loopback address: a desk of its own)."""
    pool = PoolManager(source_address=(address, 0))
    user.client.mount("http://", LocustHttpAdapter(pool_manager=pool))
