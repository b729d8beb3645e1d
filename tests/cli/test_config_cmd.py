"""`codex config show` as a user runs it: a real subprocess with its own CODEX_HOME.

Every bad input of issue 2 is its own test: exit status 2, exactly one line on stderr that
names the file (and line), the key, what was expected and what was found; never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "sk-proj-abcdefghijklmnop1234"


def codex(
    home: Path,
    *args: str,
    config: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (home / "config.toml").write_text(config, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    clean.update(CODEX_HOME=str(home), HOME=str(home.parent), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "pycodex", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=home.parent,
        timeout=60,
        check=False,
    )


def assert_config_error(out: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Exit 2, one stderr line containing every part in order, no traceback, no stdout."""
    assert out.returncode == 2, out
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    line = lines[0]
    position = 0
    for part in parts:
        found = line.find(part, position)
        assert found >= 0, f"{part!r} not in order in {line!r}"
        position = found + len(part)
    assert out.stdout == ""
    return line


def test_toml_syntax_error(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", config='model = "o3"\nsandbox_mode "x"\n')
    assert_config_error(
        out,
        "config.toml:2: ",
        "`sandbox_mode`",
        "expected '=' after a key",
        'found `sandbox_mode "x"`',
    )


def test_wrong_type(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", config='\n[history]\nmax_bytes = "lots"\n')
    assert_config_error(
        out,
        "config.toml:3: ",
        "`history.max_bytes`",
        "expected a non-negative integer",
        'found "lots"',
    )


def test_bad_enum(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", config='approval_policy = "sometimes"\n')
    line = assert_config_error(out, "config.toml:1: ", "`approval_policy`")
    assert line.endswith(
        'expected one of untrusted, on-failure, on-request, never, found "sometimes"'
    )


def test_unknown_profile(tmp_path: Path) -> None:
    out = codex(
        tmp_path / "h",
        "config",
        "show",
        "-p",
        "fats",
        config='[profiles.fast]\nmodel = "o3"\n[profiles.deep]\nmodel = "o3-pro"\n',
    )
    assert_config_error(
        out,
        "flag --profile: ",  # where the name came from, not the file
        "`profile`",
        "`fats` not found",
        "expected one of deep, fast",
        'found "fats"',
    )


def test_unknown_profile_from_the_file(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", config='model = "o3"\nprofile = "nope"\n')
    assert_config_error(
        out, "config.toml:2: ", "`profile`", "expected a [profiles.NAME] table", 'found "nope"'
    )


def test_profile_file_of_current_codex_is_the_profile(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "work.config.toml").write_text('model = "o3"\nsandbox_mode = "workspace-write"\n')
    out = codex(home, "config", "show", "-p", "work", config='model = "gpt-5"\n')
    assert out.returncode == 0, out.stderr
    assert 'model = "o3"  # work.config.toml:1' in out.stdout
    assert 'sandbox_mode = "workspace-write"  # work.config.toml:2' in out.stdout
    table = '[profiles.work]\nmodel = "o4-mini"\n'  # the v0.20 table wins over the file
    out = codex(home, "config", "show", "-p", "work", config=table)
    assert 'model = "o4-mini"' in out.stdout
    missing = codex(home, "config", "show", "-p", "nope", config="")
    assert missing.returncode == 2
    assert "expected one of work" in missing.stderr


def test_unknown_provider(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", config='model_provider = "olama"\n')
    assert_config_error(
        out,
        "config.toml:1: ",
        "`model_provider`",
        "expected one of lmstudio, openai, oss",
        'found "olama"',
    )


def test_provider_without_base_url(tmp_path: Path) -> None:
    config = 'model_provider = "ollama"\n\n[model_providers.ollama]\nname = "Ollama"\n'
    out = codex(tmp_path / "h", "config", "show", config=config)
    assert_config_error(
        out,
        "config.toml:3: ",
        "`model_providers.ollama.base_url`",
        "expected a URL",
        "found no base_url",
    )


def test_non_integer_oss_port(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", "--oss", env={"CODEX_OSS_PORT": "abc"})
    assert_config_error(
        out,
        "env CODEX_OSS_PORT",
        "`CODEX_OSS_PORT`",
        "expected an integer from 1 to 65535",
        'found "abc"',
    )


def test_codex_home_that_is_a_file(tmp_path: Path) -> None:
    home = tmp_path / "not-a-dir"
    home.write_text("x", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "pycodex", "config", "show"],
        capture_output=True,
        text=True,
        env={**os.environ, "CODEX_HOME": str(home)},
        timeout=60,
        check=False,
    )
    assert_config_error(out, str(home), "`CODEX_HOME`", "expected a directory", "found a file")


# Root reads any directory through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: drop them, so the
# permission bits apply to root as to anyone else.
_WITHOUT_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None,
    reason="running as root without setpriv (util-linux) to drop the DAC capabilities",
)
def test_unreadable_codex_home(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text('model = "o3"\n', encoding="utf-8")
    home.chmod(0)
    prefix = _WITHOUT_DAC if os.geteuid() == 0 else []
    try:
        out = subprocess.run(
            [*prefix, sys.executable, "-m", "pycodex", "config", "show"],
            capture_output=True,
            text=True,
            env={**os.environ, "CODEX_HOME": str(home)},
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
    finally:
        home.chmod(0o700)
    assert_config_error(
        out, str(home), "`CODEX_HOME`", "expected a readable directory", "found permission denied"
    )


def test_config_file_that_is_a_directory(tmp_path: Path) -> None:
    home = tmp_path / "h"
    (home / "config.toml").mkdir(parents=True)
    out = codex(home, "config", "show")
    assert_config_error(
        out, str(home / "config.toml"), "expected a readable file", "found a directory"
    )


def test_bad_override_value(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", "-c", "sandbox_mode=sandboxed")
    assert_config_error(
        out, "-c sandbox_mode=sandboxed: ", "`sandbox_mode`", "expected one of", 'found "sandboxed"'
    )


def test_unknown_key_warns_once_and_is_ignored(tmp_path: Path) -> None:
    out = codex(
        tmp_path / "h",
        "config",
        "show",
        "-c",
        "modle=again",
        config='model = "o3"\n\n\nmodle = "o4"\n',
    )
    assert out.returncode == 0, out
    assert out.stderr == (
        "warning: config.toml:4: unknown key `modle` ignored (did you mean `model`?)\n"
    )
    assert 'model = "o3"  # config.toml:1\n' in out.stdout


def test_show_prints_values_with_origins(tmp_path: Path) -> None:
    config = (
        'model = "o3"\nprofile = "auto"\n'
        '[profiles.auto]\nsandbox_mode = "workspace-write"\n'
        '[model_providers.openai]\nhttp_headers = { Authorization = "Bearer ' + SECRET + '" }\n'
        '[mcp_servers.docs]\ncommand = "npx"\nenv = { API_KEY = "' + SECRET + '" }\n'
    )
    out = codex(
        tmp_path / "h",
        "config",
        "show",
        "-c",
        "approval_policy=on-request",
        "-a",
        "never",
        config=config,
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert out.returncode == 0, out
    assert out.stderr == ""
    text = out.stdout
    for line in (
        'model = "o3"  # config.toml:1',
        'sandbox_mode = "workspace-write"  # profile auto (config.toml:4)',
        'approval_policy = "never"  # flag --ask-for-approval',
        'profile = "auto"  # config.toml:2',
        "[model_providers.openai]  # the selected provider",
        'base_url = "http://127.0.0.1:9/v1"  # env OPENAI_BASE_URL',
        'name = "OpenAI"  # built-in',
        "[mcp_servers.docs]",
        'command = "npx"  # config.toml:8',
        "network_access = false  # default",
    ):
        assert line + "\n" in text, line
    assert SECRET not in text
    assert "…1234" in text


def test_show_json(tmp_path: Path) -> None:
    out = codex(
        tmp_path / "h",
        "config",
        "show",
        "--json",
        "--oss",
        "-c",
        f'model_providers.oss.http_headers={{X-Key="{SECRET}"}}',
        config='model = "o3"\n',
    )
    assert out.returncode == 0, out
    assert SECRET not in out.stdout
    doc = json.loads(out.stdout)
    assert set(doc) == {"config", "origins", "codex_home", "config_file"}
    assert doc["codex_home"] == str(tmp_path / "h")
    assert doc["config_file"] == str(tmp_path / "h" / "config.toml")
    config, origins = doc["config"], doc["origins"]
    assert (config["model"], config["model_provider"]) == ("gpt-oss:20b", "oss")
    assert origins["model"] == "flag --oss"
    assert config["model_providers"]["oss"]["base_url"] == "http://localhost:11434/v1"
    assert config["model_providers"]["oss"]["http_headers"] == {"X-Key": "sk-…1234"}
    assert origins["model_providers.oss.http_headers"] == "-c model_providers.oss.http_headers=…"
    assert origins["approval_policy"] == "default"


def test_show_without_a_config_file(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config", "show", "--json")
    assert out.returncode == 0, out
    doc = json.loads(out.stdout)
    assert doc["config_file"] is None
    assert doc["config"]["model"] == "gpt-5"


def test_config_alone_prints_its_help(tmp_path: Path) -> None:
    out = codex(tmp_path / "h", "config")
    assert out.returncode == 0, out
    assert out.stdout.startswith("usage: codex config")
    assert "show" in out.stdout


def test_show_imports_nothing_heavy(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from pycodex.cli import main\n"
        "rc = main(['config', 'show'])\n"
        "heavy = {'asyncio', 'ssl', 'http', 'socket', 'selectors', 'concurrent', 'httpx',\n"
        "         'textual', 'mcp', 'anyio', 'subprocess'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "sys.stderr.write(repr((rc, loaded)))\n"
    )
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text('model = "o3"\n', encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "CODEX_HOME": str(home)},
        timeout=60,
        check=False,
    )
    assert out.stderr == "(0, [])"


def test_config_from_args_prints_each_warning_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pycodex.cli.common import config_from_args
    from pycodex.cli.parser import parse_namespace
    from pycodex.protocol.policy import AskForApproval

    (tmp_path / "config.toml").write_text('modle = "x"\nmodel = "o3"\n', encoding="utf-8")
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    args = parse_namespace(["exec", "-C", str(tmp_path), "-s", "workspace-write", "task"])
    first = config_from_args(args, forced_approval=AskForApproval.NEVER)
    second = config_from_args(args, forced_approval=AskForApproval.NEVER)
    assert first == second
    assert (first.model, first.cwd, first.approval_policy) == (
        "o3",
        tmp_path.resolve(),
        AskForApproval.NEVER,
    )
    assert first.sandbox_mode == "workspace-write"
    err = capsys.readouterr().err
    assert err == "warning: config.toml:1: unknown key `modle` ignored (did you mean `model`?)\n"
