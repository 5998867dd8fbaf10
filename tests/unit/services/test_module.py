"""The module's lifecycle, on in-memory stores."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from invite_tracker.domain.errors import (
    ModuleDisabled,
    ModuleEnabled,
    SettingsMissing,
    Unprocessable,
)
from invite_tracker.domain.settings import DEFAULT_SETTINGS
from invite_tracker.services import module
from tests.unit.services.fakes import MemoryUnitOfWork

NOW = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        (["enable"], None),
        (["enable", "enable"], ModuleEnabled),
        (["disable"], SettingsMissing),
        (["enable", "disable"], None),
        (["enable", "disable", "disable"], ModuleDisabled),
        (["enable", "disable", "enable"], None),
        (["delete"], SettingsMissing),
    ],
)
async def test_lifecycle(steps: list[str], error: type[Exception] | None) -> None:
    uow = MemoryUnitOfWork()

    async def run(step: str) -> object:
        if step == "enable":
            return await module.enable(uow, 1, now=NOW)
        if step == "disable":
            return await module.disable(uow, 1, now=NOW)
        return await module.delete_guild(uow, 1)

    for step in steps[:-1]:
        await run(step)
    if error is None:
        await run(steps[-1])
    else:
        with pytest.raises(error):
            await run(steps[-1])


async def test_replace_settings_checks_before_storing() -> None:
    uow = MemoryUnitOfWork()
    await module.enable(uow, 1, now=NOW)
    bad = dataclasses.replace(DEFAULT_SETTINGS, join_messages_enabled=True)
    with pytest.raises(Unprocessable):
        await module.replace_settings(uow, 1, bad, now=NOW)
    assert uow.settings.rows[1].values == DEFAULT_SETTINGS
    good = dataclasses.replace(DEFAULT_SETTINGS, server_shared_invite_link="discord.gg/xyz")
    stored = await module.replace_settings(uow, 1, good, now=NOW)
    assert stored.values.server_shared_invite_link == "xyz"
