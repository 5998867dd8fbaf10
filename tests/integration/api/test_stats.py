"""Stats: an inviter's figures, following the counting policy and the retention period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from invite_tracker.db.session import Database
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import NewJoin, NewLeave
from tests.integration.api.conftest import GUILD, OTHER_GUILD, Api, data_of, error_of

INVITER = 900_000_000_000_000_001


async def store(database: Database, *items: NewJoin | NewLeave) -> None:
    """Store the joins and leaves; a leave ends the join stored before it of its member."""
    now = datetime.now(UTC)
    joined: dict[int | None, int] = {}
    async with database.unit_of_work() as uow:
        for item in items:
            if isinstance(item, NewJoin):
                joined[item.member_id] = await uow.joins.add(item, now=now)
            else:
                await uow.leaves.add(replace(item, join_id=joined.get(item.member_id)), now=now)
        await uow.commit()


def join(
    member: int,
    code: str,
    *,
    fake: bool = False,
    counted: bool = True,
    days_ago: int = 0,
    inviter: int | None = INVITER,
) -> NewJoin:
    return NewJoin(
        guild_id=GUILD,
        member_id=member,
        joined_at=datetime.now(UTC) - timedelta(days=days_ago),
        join_type=JoinType.INVITE,
        invite_code=code,
        inviter_id=inviter,
        counted=counted,
        fake=fake,
    )


def leave(member: int, code: str, *, counted: bool = True, days_ago: int = 0) -> NewLeave:
    return NewLeave(
        guild_id=GUILD,
        member_id=member,
        left_at=datetime.now(UTC) - timedelta(days=days_ago),
        inviter_id=INVITER,
        invite_code=code,
        counted=counted,
    )


async def test_stats_follow_the_counting_policy(api: Api, database: Database) -> None:
    await api.enable()
    data_of(
        await api.post(
            "/events/invite/create",
            {
                "guild_id": GUILD,
                "invite_code": "alpha",
                "channel_id": 1,
                "inviter_id": INVITER,
                "uses": 4,
            },
        )
    )
    data_of(
        await api.post(
            "/events/invite/create",
            {"guild_id": GUILD, "invite_code": "unused", "channel_id": 1, "inviter_id": INVITER},
        )
    )
    await store(
        database,
        join(1, "alpha"),
        join(2, "alpha"),
        join(3, "alpha", fake=True),
        join(4, "beta"),
        join(5, "beta", counted=False, inviter=None),  # ambiguous: credits no one
        join(6, "alpha", inviter=123),  # someone else's
        leave(1, "alpha"),
        leave(3, "alpha", counted=False),  # a fake's leave is not subtracted twice
        join(7, "alpha", days_ago=40),  # beyond the 31-day retention
        leave(8, "beta", days_ago=40),
        join(9, "alpha", days_ago=40),  # its join beyond the retention: the leave goes with it
        leave(9, "alpha"),
    )
    data = data_of(await api.post(f"/stats/uses?guild_id={GUILD}&inviter_id={INVITER}"))
    assert (data["total"], data["regular"], data["leaves"], data["fakes"]) == (2, 4, 1, 1)
    assert data["inviter_id"] == str(INVITER)
    assert data["retention_days"] == 31
    per_code = {item["code"]: item for item in data["invites"]}
    assert per_code.keys() == {"alpha", "beta", "unused"}
    alpha = per_code["alpha"]
    assert (alpha["total"], alpha["regular"], alpha["leaves"], alpha["fakes"]) == (1, 3, 1, 1)
    assert alpha["uses"] == 4
    assert per_code["beta"]["uses"] is None  # never reported as an invite
    assert per_code["unused"]["regular"] == 0
    assert data["invites"][0]["code"] == "alpha"


async def test_stats_body_and_get_alias_agree(api: Api, database: Database) -> None:
    await api.enable()
    await store(database, join(1, "alpha"))
    by_query = data_of(await api.post(f"/stats/uses?guild_id={GUILD}&inviter_id={INVITER}"))
    by_body = data_of(
        await api.post("/stats/uses", {"guild_id": GUILD, "inviter_id": str(INVITER)})
    )
    by_get = data_of(await api.get("/stats/uses", guild_id=GUILD, inviter_id=INVITER))
    assert by_query == by_body == by_get
    assert by_get["regular"] == 1


async def test_stats_of_an_inviter_with_nothing(api: Api) -> None:
    await api.enable()
    data = data_of(await api.get("/stats/uses", guild_id=GUILD, inviter_id=5))
    assert (data["total"], data["invites"]) == (0, [])


async def test_stats_errors(api: Api) -> None:
    error_of(await api.get("/stats/uses", guild_id=GUILD, inviter_id=5), 404, "SettingsError")
    await api.enable()
    error_of(await api.get("/stats/uses", guild_id=GUILD), 400, "BadRequestError")


async def test_leaderboard_ranks_inviters_as_their_stats_add_up(
    api: Api, database: Database
) -> None:
    """Every inviter's entry is what `stats/uses` says of them; pages follow the ranking."""
    await api.enable()
    second, third, gone = 900_000_000_000_000_002, 900_000_000_000_000_003, 900_000_000_000_000_004
    await store(
        database,
        join(1, "alpha"),
        join(2, "alpha"),
        join(3, "alpha", fake=True),
        leave(1, "alpha"),  # INVITER: 3 regular - 1 leave - 1 fake = 1
        join(4, "b", inviter=second),
        join(5, "b", inviter=second),  # second: 2
        join(6, "c", inviter=third),  # third: 1, ties with INVITER, fewer regular joins
        join(7, "c", inviter=third, counted=False),  # credits no one
        join(8, "d", inviter=gone, days_ago=40),  # beyond the 31-day retention
    )
    board = data_of(await api.get("/leaderboard", guild_id=GUILD))
    assert (board["inviters"], board["retention_days"], board["next_offset"]) == (3, 31, None)
    entries = board["entries"]
    assert [(e["rank"], e["inviter_id"], e["total"]) for e in entries] == [
        (1, str(second), 2),
        (2, str(INVITER), 1),
        (2, str(third), 1),
    ]
    for entry in entries:
        stats = data_of(
            await api.get("/stats/uses", guild_id=GUILD, inviter_id=entry["inviter_id"])
        )
        figures = ("total", "regular", "leaves", "fakes")
        assert [entry[k] for k in figures] == [stats[k] for k in figures]

    first = data_of(await api.get("/leaderboard", guild_id=GUILD, limit=2))
    assert [e["inviter_id"] for e in first["entries"]] == [str(second), str(INVITER)]
    assert first["next_offset"] == 2
    assert first["inviter"] is None  # not asked for
    mine = data_of(await api.get("/leaderboard", guild_id=GUILD, limit=1, inviter_id=third))
    assert (mine["inviter"]["rank"], mine["inviter"]["total"]) == (2, 1)  # beyond the page
    nobody = data_of(await api.get("/leaderboard", guild_id=GUILD, inviter_id=gone))
    assert nobody["inviter"] is None  # only beyond the retention period
    rest = data_of(await api.get("/leaderboard", guild_id=GUILD, limit=2, offset=2))
    assert ([e["inviter_id"] for e in rest["entries"]], rest["next_offset"]) == ([str(third)], None)


async def test_leaderboard_errors(api: Api) -> None:
    error_of(await api.get("/leaderboard", guild_id=GUILD), 404, "SettingsError")
    await api.enable()
    assert data_of(await api.get("/leaderboard", guild_id=GUILD))["entries"] == []
    error_of(await api.get("/leaderboard"), 400, "BadRequestError")
    for bad, bounds in (
        ({"limit": 0}, "between 1 and 100"),
        ({"limit": 101}, "between 1 and 100"),
        ({"offset": -1}, "between 0 and 2147483647"),
        ({"offset": 2**31}, "between 0 and 2147483647"),
    ):
        error = error_of(
            await api.get("/leaderboard", guild_id=GUILD, **bad), 422, "UnprocessableEntityError"
        )
        assert bounds in error["message"], bad
    error_of(await api.get("/leaderboard", guild_id=GUILD, limit="ten"), 400, "BadRequestError")


async def test_summary_says_how_members_came_in(api: Api, database: Database) -> None:
    await api.enable()
    now = datetime.now(UTC)
    ambiguous = NewJoin(GUILD, 20, now, JoinType.AMBIGUOUS, candidates=("a", "b"))
    await store(
        database,
        join(1, "alpha"),
        join(2, "alpha", fake=True),
        join(3, "beta", inviter=123),
        ambiguous,
        NewJoin(GUILD, 21, now, JoinType.BOT, is_bot=True),
        NewJoin(GUILD, 22, now, JoinType.PENDING),
        leave(1, "alpha"),
        leave(2, "alpha", counted=False),
        join(7, "alpha", days_ago=40),  # beyond the 31-day retention
        leave(8, "beta", days_ago=40),
    )
    found = data_of(await api.get("/stats/summary", guild_id=GUILD))
    assert found["by_type"] == {
        "invite": 3,
        "vanity": 0,
        "unknown": 0,
        "ambiguous": 1,
        "bot": 1,
        "pending": 1,
    }
    assert (found["joins"], found["credited"], found["fakes"]) == (6, 3, 1)
    assert (found["leaves"], found["counted_leaves"], found["retention_days"]) == (2, 1, 31)
    await api.enable(OTHER_GUILD)  # another guild's summary counts none of these
    assert data_of(await api.get("/stats/summary", guild_id=OTHER_GUILD))["joins"] == 0


async def test_summary_errors(api: Api) -> None:
    error_of(await api.get("/stats/summary", guild_id=GUILD), 404, "SettingsError")
    await api.enable()
    assert data_of(await api.get("/stats/summary", guild_id=GUILD))["joins"] == 0
    error_of(await api.get("/stats/summary"), 400, "BadRequestError")
