"""The `invite-tracker` command: keys, migrations, help, and `serve` answering on a port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from invite_tracker.cli import main


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("INVITE_TRACKER_DATABASE_URL", url)
    return url


def test_help_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in (
        "DATABASE_URL",
        "HOST",
        "PORT",
        "INTERNAL_API_KEYS",
        "DISCORD_TOKEN",
        "DISCORD_API_URL",
        "RETENTION_DAYS",
    ):
        assert f"INVITE_TRACKER_{name}" in out


def test_keys_create_list_revoke(sqlite_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["keys", "create", "--guild-id", "123", "--label", "dash"]) == 0
    created = capsys.readouterr().out
    secret = created.strip().splitlines()[-1]
    key_id = re.search(r"created key ([0-9a-f]{12})", created)
    assert key_id is not None
    assert secret.startswith(f"itk_{key_id.group(1)}_")

    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id.group(1) in listing
    assert "active" in listing
    assert secret not in listing

    assert main(["keys", "revoke", secret]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "list", "--guild-id", "123"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_bad_guild_id_is_a_clear_error(sqlite_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["keys", "create", "--guild-id", "12abc"]) == 2
    assert "snowflake" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_migrates_prints_a_key_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVITE_TRACKER_")}
    env["INVITE_TRACKER_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "invite_tracker.cli", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        key = None
        deadline = time.monotonic() + 30
        while key is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if line.startswith("    ") and line.strip():
                key = line.strip()
        assert key, "serve printed no generated internal key"
        url = f"http://127.0.0.1:{port}/modules/invite-tracker"
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.post(
                    f"{url}/enable",
                    json={"guild_id": 1},
                    headers={"Authorization": f"Bearer {key}"},
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None
        assert response.status_code == 200, response.text
        assert httpx.get(f"{url}/status", params={"guild_id": 1}).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
