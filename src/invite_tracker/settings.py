"""Configuration from the environment (prefix `INVITE_TRACKER_`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./invite-tracker.db"
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"


class Settings(BaseSettings):
    """Everything the service reads from its environment. Secrets are `SecretStr`."""

    model_config = SettingsConfigDict(env_prefix="INVITE_TRACKER_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port `serve` listens on.")
    internal_api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated internal keys (the Husqy bot and platform); all endpoints.",
    )
    discord_token: SecretStr | None = Field(None, description="The bot token for Discord's API.")
    discord_api_url: str = Field(DEFAULT_DISCORD_API_URL, description="Discord's REST base URL.")
    discord_timeout_seconds: float = Field(
        5.0, gt=0, description="Timeout of one request to Discord (retried on timeouts and 5xx)."
    )
    discord_max_wait_seconds: float = Field(
        15.0,
        gt=0,
        description="Longest one Discord call may take, retries and rate limits included.",
    )
    discord_cache_seconds: float = Field(
        60.0, ge=0, description="How long guild, member and channel data from Discord is reused."
    )
    attribution_wait_seconds: float = Field(
        2.0, ge=0, description="How long a join check waits for its attribution before `pending`."
    )
    attribution_margin_seconds: float = Field(
        0.75,
        gt=0,
        description="Longest delay from a join to its event reaching the service; a join is "
        "attributed this long after the invite read that follows it.",
    )
    invite_fetch_interval_seconds: float = Field(
        0.2, gt=0, description="Shortest time between two invite fetches of one guild."
    )
    invite_reads_per_join: float = Field(
        1.0,
        ge=0,
        description="Invite reads each join pays for, the read its event calls for included "
        "(that one is made even when none is left), spent while joins keep coming: more "
        "tells more overlapping joins apart, at more requests to Discord.",
    )
    invite_reading_seconds: float = Field(
        1.0,
        gt=0,
        description="How long after the latest join event the joins' reads go on.",
    )
    attribution_idle_release_seconds: float = Field(
        600.0,
        gt=0,
        description="A guild with nothing to attribute for this long has its in-memory state "
        "dropped; its next join resumes from the stored baseline.",
    )
    vanity_recheck_seconds: float = Field(
        60.0,
        gt=0,
        description="How often a guild's invite reads also ask whether it has a vanity URL "
        "while it has none (every read counts the vanity URL once it has one).",
    )
    discord_clock_tolerance_seconds: float = Field(
        0.01,
        ge=0,
        le=1,
        description="How far the instant Discord's rate-limit headers give for an invite "
        "read is trusted, each side, when placing joins before or after it.",
    )
    member_search: bool = Field(
        False,
        description="Cross-check joins the invite counts leave ambiguous with Discord's "
        "undocumented member search (Community guilds only; may change without notice).",
    )
    member_search_delay_seconds: float = Field(
        1.5, ge=0, description="How long after a join the member search is first asked about it."
    )
    member_search_patience_seconds: float = Field(
        30.0,
        gt=0,
        description="How long after a join the member search is asked before the join is "
        "left ambiguous.",
    )
    member_search_refusal_pause_seconds: float = Field(
        600.0,
        ge=0,
        description="After the member search refuses a guild (not a Community guild, a "
        "permission missing), how long it is not asked about that guild again.",
    )
    message_max_delay_seconds: float = Field(
        600.0,
        ge=0,
        description="A join or leave message not posted when its event became final (the "
        "service stopped or crashed, or Discord failed) is posted later, while it is at most "
        "this old; older ones are dropped and logged.",
    )
    message_retry_seconds: float = Field(
        30.0,
        ge=0,
        description="How long after Discord could not take a join or leave message (unreachable, "
        "failing, or a rate limit longer than the service waits) it is tried again.",
    )
    retention_days: int = Field(
        31, ge=0, description="Days of join and leave records kept; 0 keeps everything."
    )
    retention_interval_seconds: float = Field(
        3600.0, gt=0, description="How often expired join and leave records are purged."
    )
    api_prefix: str = Field("", description="Path prefix for every route, e.g. /v1.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body accepted.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(False, description="Log JSON lines instead of console text.")

    @field_validator("internal_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_prefix")
    @classmethod
    def _normalise_prefix(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith("/"):
            value = "/" + value
        return value

    @property
    def discord_configured(self) -> bool:
        """True when a bot token is set, so Discord can be called."""
        return self.discord_token is not None and bool(self.discord_token.get_secret_value())
