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
    """Who waits for which join's decision: woken at once by decisions made here (`decided`)
    or told of by another worker (`look_again`), and looking at storage every `poll` seconds
    while another worker owns the guild."""

    def __init__(self, storage: Storage, poll: float) -> None:
        self._storage = storage
        self._poll = poll
        # each waiter's future: the decided join, or None for "look at storage again"
        self._waiting: dict[int, list[asyncio.Future[JoinRecord | None]]] = {}

    def decided(self, joins: Sequence[JoinRecord]) -> None:
        """These joins are final: wake whoever waits for them."""
        for join in joins:
            self._wake(join.id, join)

    def look_again(self, join_ids: Sequence[int]) -> bool:
        """Another worker decided these joins: whoever waits for them looks at storage now.
        Whether anyone here was waiting for one."""
        return sum(self._wake(join_id, None) for join_id in join_ids) > 0

    def _wake(self, join_id: int, join: JoinRecord | None) -> int:
        woken = 0
        for waiter in self._waiting.get(join_id, []):
            if not waiter.done():
                waiter.set_result(join)
                woken += 1
        return woken

    async def wait(
        self, join_id: int, wait_seconds: float, *, local: Callable[[], bool]
    ) -> JoinRecord | None:
        """The join once decided, or None if it is still pending after `wait_seconds`.
        `local()`: whether this process attributes the join's guild now (its decisions then
        arrive through `decided`, and storage need not be looked at again)."""
        deadline = time.monotonic() + wait_seconds
        waiting = self._waiting.setdefault(join_id, [])
        decided: asyncio.Future[JoinRecord | None] = asyncio.get_running_loop().create_future()
        waiting.append(decided)
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
                    told = await asyncio.wait_for(
                        asyncio.shield(decided), left if local() else min(left, self._poll)
                    )
                    if told is not None:
                        return told
                if decided.done():  # told to look again: the next telling needs a new one
                    waiting = self._waiting.setdefault(join_id, [])
                    waiting.remove(decided)
                    decided = asyncio.get_running_loop().create_future()
                    waiting.append(decided)
        finally:
            waiting = self._waiting.get(join_id, [])
            if decided in waiting:
                waiting.remove(decided)
            if not waiting:
                self._waiting.pop(join_id, None)
