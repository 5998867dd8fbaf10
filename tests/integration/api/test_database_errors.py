"""A database that cannot be reached answers DatabaseError (503, Retry-After), never a trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from tests.integration.api.conftest import GUILD, Api, app_settings, error_of, running_app

UNREACHABLE = {
    "sqlite": "sqlite+aiosqlite:///{tmp}/missing-directory/nothing.db",
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:1/none",
}


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
async def test_unreachable_database_is_503_database_error(tmp_path: Path, kind: str) -> None:
    url = UNREACHABLE[kind].format(tmp=tmp_path)
    database = Database.from_url(url)
    app = create_app(app_settings(url), database=database)
    try:
        async for client in running_app(app):
            for response in (
                await Api(client).get("/status", guild_id=GUILD),
                await Api(client).post("/enable", {"guild_id": GUILD}),
            ):
                error = error_of(response, 503, "DatabaseError")
                assert error["code"] == 802
                assert response.headers["retry-after"] == "5"
                assert "Traceback" not in response.text
                assert "127.0.0.1" not in response.text
    finally:
        await database.dispose()


async def test_home_answers_without_a_database(tmp_path: Path) -> None:
    url = UNREACHABLE["sqlite"].format(tmp=tmp_path)
    database = Database.from_url(url)
    app = create_app(app_settings(url), database=database)
    try:
        async for client in running_app(app):
            assert (await client.get("/modules/invite-tracker/")).status_code == 200
    finally:
        await database.dispose()
