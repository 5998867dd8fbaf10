"""The announcer's leave messages for joins still pending: waiting for the inviter, and not
past the service's stop."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.settings import DEFAULT_SETTINGS
from invite_tracker.services.announcer import Announcer
from tests.unit.services.fakes import FakeDiscordPort, MemoryStorage

NOW = datetime(2026, 11, 30, tzinfo=UTC)
PENDING = JoinRecord(
    id=1,
    guild_id=1,
    member_id=10,
    is_bot=False,
    joined_at=NOW,
    recorded_at=NOW,
    join_type=JoinType.PENDING,
    invite_code=None,
    inviter_id=None,
    candidates=(),
    counted=False,
    fake=False,
    reason=None,
    attributed_at=None,
    left_at=NOW,
)
VALUES = dataclasses.replace(
    DEFAULT_SETTINGS,
    leave_messages_enabled=True,
    leave_messages_channel=55,
    leave_message_content="<user_mention> left; came through <invite_code>",
)


async def _announcer() -> tuple[Announcer, FakeDiscordPort]:
    storage, port = MemoryStorage(), FakeDiscordPort()
    await storage.uow.settings.create_if_absent(1, VALUES, enabled=True, now=NOW)
    # the inviter's count would need the join and leave stores: these joins credit no one
    return Announcer(storage, port, retention_days=0, clock=lambda: NOW), port  # type: ignore[arg-type]


async def test_a_pending_joins_leave_message_waits_for_its_inviter() -> None:
    announcer, port = await _announcer()
    credited = dataclasses.replace(PENDING, join_type=JoinType.VANITY, invite_code="husqy")
    decided: asyncio.Future[JoinRecord | None] = asyncio.get_running_loop().create_future()

    announcer.member_left(1, 10, PENDING, lambda: decided, leave_id=1, left_at=NOW)
    await asyncio.sleep(0.01)
    assert port.sent == []  # still waiting for the attribution
    decided.set_result(credited)
    await announcer.close()

    ((channel, message),) = port.sent
    assert (channel, message.content) == (55, "<@10> left; came through husqy")


async def test_stopping_sends_a_waiting_leave_message_with_what_is_known() -> None:
    announcer, port = await _announcer()
    never: asyncio.Future[JoinRecord | None] = asyncio.get_running_loop().create_future()

    announcer.member_left(1, 10, PENDING, lambda: never, leave_id=1, left_at=NOW)
    await asyncio.sleep(0.01)
    await announcer.close()  # would otherwise wait out its 5 s and cancel the message

    ((_, message),) = port.sent
    assert message.content == "<@10> left; came through Unknown"
    assert never.cancelled()
