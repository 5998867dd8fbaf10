"""Repositories: the only place SQL is written. They flush, never commit."""

from invite_tracker.db.repositories.api_keys import ApiKeyRepository
from invite_tracker.db.repositories.invites import InviteRepository
from invite_tracker.db.repositories.joins import JoinRepository
from invite_tracker.db.repositories.leaves import LeaveRepository
from invite_tracker.db.repositories.messages import MessageRepository
from invite_tracker.db.repositories.settings import SettingsRepository
from invite_tracker.db.repositories.snapshots import SnapshotRepository

__all__ = [
    "ApiKeyRepository",
    "InviteRepository",
    "JoinRepository",
    "LeaveRepository",
    "MessageRepository",
    "SettingsRepository",
    "SnapshotRepository",
]
