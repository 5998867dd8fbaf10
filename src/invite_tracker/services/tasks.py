"""Stopping background tasks without cutting them in the middle of a step."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection


async def stop_within(tasks: Collection[asyncio.Task[None]], grace: float) -> None:
    """Let the tasks finish for up to `grace` seconds (they have been asked to stop), then
    cancel whichever has not and wait until each has ended."""
    if tasks:
        await asyncio.wait(tasks, timeout=grace)
    for task in list(tasks):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
