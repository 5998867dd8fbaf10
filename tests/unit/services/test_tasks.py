"""Stopping background tasks: a grace to finish, then cancellation."""

from __future__ import annotations

import asyncio

from invite_tracker.services.tasks import stop_within


async def test_a_task_that_finishes_within_the_grace_is_not_cancelled() -> None:
    finished: list[str] = []

    async def step() -> None:
        await asyncio.sleep(0.01)
        finished.append("done")

    task = asyncio.create_task(step())
    await stop_within({task}, grace=5.0)
    assert finished == ["done"]
    assert task.done()
    assert not task.cancelled()


async def test_a_task_still_running_after_the_grace_is_cancelled_and_awaited() -> None:
    cleaned: list[str] = []

    async def stuck() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.append("cleaned up")

    quick = asyncio.create_task(asyncio.sleep(0))
    slow = asyncio.create_task(stuck())
    await asyncio.sleep(0)  # both started
    await stop_within([quick, slow], grace=0.05)
    assert slow.cancelled()
    assert cleaned == ["cleaned up"]
    assert quick.done()
    assert not quick.cancelled()


async def test_no_tasks_returns_at_once() -> None:
    await asyncio.wait_for(stop_within([], grace=60.0), timeout=1.0)
