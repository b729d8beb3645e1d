"""`codex login` / `login status` / `logout`, run as real processes against a temp CODEX_HOME."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "sk-proj-Zq81LmN0pQr2StU3vWx4Yz5Ab6Cd7Ef8Gh9kLmN"
ENV_VALUE = "sk-envvar-0123456789abcdefghijklmnEnVk"


def codex(
    home: Path, *args: str, stdin: str | None = None, env_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CODEX_HOME")}
    env["CODEX_HOME"] = str(home)
    if env_key is not None:
        env["OPENAI_API_KEY"] = env_key
    proc = subprocess.run(
        [sys.executable, "-m", "pycodex", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    for secret in (KEY, ENV_VALUE):
        assert secret not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "codex-home"


def test_login_status_logout_cycle(home: Path) -> None:
    login = codex(home, "login", "--api-key", KEY)
    assert login.returncode == 0, login.stderr
    assert login.stdout.startswith("Successfully logged in")
    assert f"API key sk-…{KEY[-4:]}" in login.stdout
    auth = home / "auth.json"
    assert json.loads(auth.read_text()) == {"OPENAI_API_KEY": KEY}
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600

    status = codex(home, "login", "status")
    assert status.returncode == 0
    assert status.stdout.splitlines() == [
        f"Logged in using an API key - sk-…{KEY[-4:]}",
        f"  source: {auth}",
    ]

    logout = codex(home, "logout")
    assert (logout.returncode, logout.stdout) == (0, "Successfully logged out\n")
    assert not auth.exists()

    again = codex(home, "logout")
    assert (again.returncode, again.stdout) == (1, "Not logged in\n")
    status = codex(home, "login", "status")
    assert (status.returncode, status.stdout) == (1, "Not logged in\n")


def test_status_reports_the_environment_variable_first(home: Path) -> None:
    status = codex(home, "login", "status", env_key=ENV_VALUE)
    assert status.returncode == 0
    assert status.stdout.splitlines() == [
        f"Logged in using an API key - sk-…{ENV_VALUE[-4:]}",
        "  source: the OPENAI_API_KEY environment variable",
    ]
    assert codex(home, "login", "--api-key", KEY).returncode == 0
    both = codex(home, "login", "status", env_key=ENV_VALUE)
    assert both.returncode == 0
    assert "environment variable takes precedence" in both.stdout
    assert f"sk-…{KEY[-4:]}" in both.stdout


def test_with_api_key_reads_stdin(home: Path) -> None:
    proc = codex(home, "login", "--with-api-key", stdin=f"  {KEY}\n")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((home / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("login", "--with-api-key"), ""),
        (("login", "--api-key", ""), None),
        (("login", "--api-key", "sk-has space-in-it-0000"), None),
        (("login", "--api-key", KEY, "--with-api-key"), KEY),
    ],
)
def test_bad_login_usage_is_one_line_exit_2(
    home: Path, args: tuple[str, ...], stdin: str | None
) -> None:
    proc = codex(home, *args, stdin=stdin)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("Error: ")
    assert "--api-key" in proc.stderr or "API key" in proc.stderr
    assert not (home / "auth.json").exists()


def test_no_key_message_says_how(home: Path) -> None:
    # `codex login` alone is the ChatGPT sign-in (tests/cli/test_login_chatgpt.py).
    proc = codex(home, "login", "--with-api-key", stdin="")
    assert "codex login --api-key KEY" in proc.stderr
    assert "--with-api-key" in proc.stderr
    assert "`codex login` alone signs in with ChatGPT" in proc.stderr


def test_unwritable_codex_home_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = codex(blocker, "login", "--api-key", KEY)
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1
    assert str(blocker) in proc.stderr


def test_corrupt_auth_json_is_one_line(home: Path) -> None:
    home.mkdir()
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "' + KEY[:12])
    proc = codex(home, "login", "status")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"Error: {home / 'auth.json'} is not valid JSON; run `codex logout` and log in again"
    ]


def test_incomplete_chatgpt_sign_in_is_not_logged_in_with_a_hint(home: Path) -> None:
    home.mkdir()
    (home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": None, "tokens": {}}))
    proc = codex(home, "login", "status")
    assert (proc.returncode, proc.stdout) == (1, "Not logged in\n")
    assert "ChatGPT" in proc.stderr
