"""The dashboard's funnel cache: one computation per question and snapshot, even when the question is
asked again while its first ask still runs (the page's default funnel is warmed in the background),
and a warm-up once per published snapshot."""

from __future__ import annotations

import threading
import time

from centric.services.dashboard_funnel import FunnelCache, default_steps


def test_a_question_asked_while_it_runs_waits_for_that_answer():
    cache = FunnelCache(size=4)
    calls = []
    started, asking = threading.Event(), threading.Event()

    def compute():
        calls.append(1)
        started.set()
        asking.wait(30)  # still computing when the second ask comes, however slow the machine
        time.sleep(0.3)  # (from here on, the second ask is a few lines from waiting for this answer)
        return {"rows": len(calls)}

    answers = []
    first = threading.Thread(target=lambda: answers.append(cache.answer("k", compute)))
    first.start()
    assert started.wait(30)
    asking.set()
    second = cache.answer("k", compute)  # asked while the first still computes
    first.join(30)
    assert calls == [1] and answers == [second] == [{"rows": 1}]
    assert cache.answer("k", lambda: {"rows": "again"}) == {"rows": 1}  # cached
    assert cache.answer("other", lambda: {"rows": "other"}) == {"rows": "other"}


def test_a_failed_computation_is_not_cached_and_frees_the_question():
    cache = FunnelCache()

    def boom():
        raise ValueError("no")

    try:
        cache.answer("k", boom)
    except ValueError:
        pass
    else:
        raise AssertionError("the error must reach the caller")
    assert cache.answer("k", lambda: 7) == 7


class _Snapshot:
    def __init__(self):
        self.v = ("inode", 1)

    def version(self):
        return self.v


def test_the_default_funnel_is_warmed_once_per_snapshot():
    cache, snapshot, asked = FunnelCache(), _Snapshot(), []

    def events_of(snap):
        asked.append(snap.version())
        return ["Product Viewed", "Email Opened", "Product Added", "Order Completed"]

    for _ in range(3):
        thread = cache.warm(snapshot, events_of)
        if thread is not None:
            thread.join(10)
    assert asked == [("inode", 1)]  # the fake snapshot has no table: the warm-up fails quietly
    snapshot.v = ("inode", 2)  # a new publish
    cache.warm(snapshot, events_of).join(10)
    assert asked == [("inode", 1), ("inode", 2)]


def test_the_default_steps_are_the_purchase_steps_present():
    assert default_steps(["Product Viewed", "Email Opened", "Product Added", "Order Completed"]) == [
        "Product Viewed", "Product Added", "Order Completed"]
    assert default_steps(["a", "b", "c", "d"]) == ["a", "b", "c"]
