"""What a worker keeps of the board's pages: a few seconds, copies, a bound."""

from __future__ import annotations

from pipeline.web.board.pages import Recent


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_page_is_kept_for_its_seconds_then_read_again() -> None:
    ticks = Ticks()
    recent = Recent(5.0, clock=ticks)
    assert recent.get("QL-NM") is None
    recent.put("QL-NM", {"live": [1]})
    ticks.now += 4.9
    assert recent.get("QL-NM") == {"live": [1]}
    ticks.now += 0.1
    assert recent.get("QL-NM") is None


def test_the_page_gets_a_copy_it_may_add_to() -> None:
    recent = Recent(5.0, clock=Ticks())
    context = {"live": []}
    recent.put("QL-NM", context)
    context["request"] = "first"
    given = recent.get("QL-NM")
    assert given == {"live": []}
    assert given is not None
    given["request"] = "second"
    assert recent.get("QL-NM") == {"live": []}


def test_a_full_worker_forgets_what_it_kept() -> None:
    recent = Recent(5.0, most=3, clock=Ticks())
    for n in range(3):
        recent.put(n, {"n": n})
    recent.put("fourth", {"n": 4})
    assert recent.get(0) is None and recent.get("fourth") == {"n": 4}
