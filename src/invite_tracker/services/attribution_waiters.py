"""Join checks waiting for their join's attribution, in this process or from another worker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.services.ports import Storage


class DecisionWaiters:
    """Who waits for which join's decision: woken at once by decisions made here (`decided`),
    and looking at storage every `poll` seconds while another worker owns the guild."""

    def __init__(self, storage: Storage, poll: float) -> None:
        self._storage = storage
        self._poll = poll
        self._waiting: dict[int, list[asyncio.Future[JoinRecord]]] = {}

    def decided(self, joins: Sequence[JoinRecord]) -> None:
        """These joins are final: wake whoever waits for them."""
        for join in joins:
            for waiter in self._waiting.get(join.id, []):
                if not waiter.done():
                    waiter.set_result(join)

    async def wait(
        self, join_id: int, wait_seconds: float, *, local: Callable[[], bool]
    ) -> JoinRecord | None:
        """The join once decided, or None if it is still pending after `wait_seconds`.
        `local()`: whether this process attributes the join's guild now (its decisions then
        arrive through `decided`, and storage need not be looked at again)."""
        deadline = time.monotonic() + wait_seconds
        decided: asyncio.Future[JoinRecord] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(join_id, []).append(decided)
        try:
            while True:
                async with self._storage.reading() as uow:
                    join = await uow.joins.get(join_id)
                if join is None or join.join_type is not JoinType.PENDING:
                    return join
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(
                        asyncio.shield(decided), left if local() else min(left, self._poll)
                    )
        finally:
            waiting = self._waiting.get(join_id, [])
            if decided in waiting:
                waiting.remove(decided)
            if not waiting:
                self._waiting.pop(join_id, None)
