"""Privacy: counting and deleting every reference to a member."""

from __future__ import annotations

from datetime import UTC, datetime

from invite_tracker.db.session import Database
from invite_tracker.domain.evidence import InviteCount, Snapshot
from tests.integration.api.conftest import GUILD, OTHER_GUILD, Api, data_of, error_of
from tests.integration.api.test_settings import seed_join_and_leave

MEMBER = 7
INVITER = 9


async def test_entries_count_every_reference(api: Api, database: Database) -> None:
    await api.enable()
    data_of(
        await api.post(
            "/events/invite/create",
            {"guild_id": GUILD, "invite_code": "mine", "channel_id": 1, "inviter_id": INVITER},
        )
    )
    await seed_join_and_leave(database, GUILD, member=MEMBER, inviter=INVITER)
    await seed_join_and_leave(database, OTHER_GUILD, member=MEMBER, inviter=INVITER)

    member = data_of(
        await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=MEMBER)
    )
    assert member["privacy_member_id"] == str(MEMBER)
    assert member["entries"] == {
        "joins_as_member": 1,
        "leaves_as_member": 1,
        "joins_as_inviter": 0,
        "leaves_as_inviter": 0,
        "invites_created": 0,
        "total": 2,
    }
    inviter = data_of(
        await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=INVITER)
    )
    assert inviter["entries"]["joins_as_inviter"] == 1
    assert inviter["entries"]["leaves_as_inviter"] == 1
    assert inviter["entries"]["invites_created"] == 1
    assert inviter["entries"]["total"] == 3


async def test_delete_removes_references_in_that_guild_only(api: Api, database: Database) -> None:
    await api.enable()
    data_of(
        await api.post(
            "/events/invite/create",
            {"guild_id": GUILD, "invite_code": "mine", "channel_id": 1, "inviter_id": INVITER},
        )
    )
    await seed_join_and_leave(database, GUILD, member=MEMBER, inviter=INVITER)
    await seed_join_and_leave(database, OTHER_GUILD, member=MEMBER, inviter=INVITER)
    summary = data_of(await api.get("/stats/summary", guild_id=GUILD))
    assert (summary["credited"], summary["counted_leaves"]) == (1, 1)

    removed = data_of(
        await api.delete(
            "/privacy/delete-user-entries", {"guild_id": GUILD, "privacy_member_id": INVITER}
        )
    )
    assert removed["entries"]["total"] == 3
    after = data_of(
        await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=INVITER)
    )
    assert after["entries"]["total"] == 0
    # The member who joined keeps their own record, no longer naming the inviter.
    member = data_of(
        await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=MEMBER)
    )
    assert member["entries"]["joins_as_member"] == 1
    invite = data_of(await api.get("/invite-links", guild_id=GUILD))["invites"][0]
    assert invite["inviter_id"] is None
    stats = data_of(await api.get("/stats/uses", guild_id=GUILD, inviter_id=INVITER))
    assert stats["regular"] == 0
    summary = data_of(await api.get("/stats/summary", guild_id=GUILD))  # credits no one now
    assert (summary["joins"], summary["credited"], summary["counted_leaves"]) == (1, 0, 0)

    data_of(
        await api.delete(
            "/privacy/delete-user-entries", {"guild_id": GUILD, "privacy_member_id": MEMBER}
        )
    )
    gone = data_of(
        await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=MEMBER)
    )
    assert gone["entries"]["total"] == 0
    other = data_of(
        await api.get("/privacy/get-user-entries", guild_id=OTHER_GUILD, privacy_member_id=MEMBER)
    )
    assert other["entries"]["total"] == 2


async def test_privacy_works_for_any_guild_and_accepts_query_on_delete(api: Api) -> None:
    data = data_of(await api.get("/privacy/get-user-entries", guild_id=5, privacy_member_id=6))
    assert data["entries"]["total"] == 0
    response = await api.call(
        "DELETE", "/privacy/delete-user-entries", params={"guild_id": 5, "privacy_member_id": 6}
    )
    assert data_of(response)["entries"]["total"] == 0


async def test_privacy_needs_both_ids(api: Api) -> None:
    error = error_of(await api.get("/privacy/get-user-entries", guild_id=5), 400, "BadRequestError")
    assert "privacy_member_id" in error["message"]


async def test_delete_erases_the_inviter_from_the_attribution_baseline(
    api: Api, database: Database
) -> None:
    """The baseline a restart resumes from is a copy of the invites last read: it must not
    keep naming a member who asked to be forgotten."""
    await api.enable()
    now = datetime.now(UTC)
    baseline = Snapshot(
        now,
        now,
        {"mine": InviteCount("mine", 2, inviter_id=INVITER), "theirs": InviteCount("theirs", 1)},
    )
    async with database.unit_of_work() as uow:
        await uow.snapshots.save(GUILD, baseline)
        await uow.commit()

    data_of(
        await api.delete(
            "/privacy/delete-user-entries", {"guild_id": GUILD, "privacy_member_id": INVITER}
        )
    )
    async with database.reading() as uow:
        loaded = await uow.snapshots.load(GUILD)
    assert loaded is not None
    assert {code: item.inviter_id for code, item in loaded.invites.items()} == {
        "mine": None,
        "theirs": None,
    }
    assert loaded.invites["mine"].uses == 2  # the evidence itself is kept
