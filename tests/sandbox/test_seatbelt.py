"""The macOS Seatbelt profile, checked as text (it only runs on macOS)."""

from __future__ import annotations

from pathlib import Path

from pycodex.sandbox.seatbelt import SANDBOX_EXEC, profile, sandbox_exec_argv


def test_read_only_profile() -> None:
    text, params = profile([], network=False)
    assert text.startswith("(version 1)\n(deny default)\n")
    assert "(allow file-read*)" in text
    assert "(allow file-write*" not in text
    assert "(allow network-outbound)" not in text
    assert "(allow system-socket (socket-domain AF_UNIX))" in text
    assert "(allow signal (target same-sandbox))" in text
    assert params == {}


def test_workspace_write_profile_keeps_git_read_only() -> None:
    text, params = profile([Path("/w/repo"), Path("/private/tmp")], network=True)
    assert params == {
        "WRITABLE_ROOT_0": "/w/repo",
        "WRITABLE_ROOT_0_GIT": "/w/repo/.git",
        "WRITABLE_ROOT_1": "/private/tmp",
        "WRITABLE_ROOT_1_GIT": "/private/tmp/.git",
    }
    assert (
        '(require-all (subpath (param "WRITABLE_ROOT_0"))'
        ' (require-not (subpath (param "WRITABLE_ROOT_0_GIT")))'
        ' (require-not (regex #"/\\.(git|codex|agents)(/|$)")))'
    ) in text
    assert "(allow network-outbound)" in text
    assert "/w/repo" not in text  # paths travel as parameters, never as profile text


def test_balanced_parentheses() -> None:
    for roots, network in (([], False), ([Path("/a"), Path("/b")], True)):
        text, _ = profile(roots, network=network)
        depth = 0
        for line in text.splitlines():
            code = line.split(";", 1)[0]
            for ch in code.replace('#"^/dev/ttys[0-9]+$"', ""):
                depth += {"(": 1, ")": -1}.get(ch, 0)
                assert depth >= 0
        assert depth == 0


def test_sandbox_exec_argv(tmp_path: Path) -> None:
    argv = sandbox_exec_argv(["ls", "-l"], [tmp_path], network=False)
    assert argv[:2] == (SANDBOX_EXEC, "-p")
    assert argv[3:] == (
        f"-DWRITABLE_ROOT_0={tmp_path.resolve()}",
        f"-DWRITABLE_ROOT_0_GIT={tmp_path.resolve()}/.git",
        "--",
        "ls",
        "-l",
    )


def _balanced(text: str) -> bool:
    depth = 0
    for line in text.splitlines():
        for ch in line.split(";", 1)[0].replace('#"^/dev/ttys[0-9]+$"', ""):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                return False
    return depth == 0


def test_protected_paths_and_secrets_in_the_profile() -> None:
    text, params = profile(
        [Path("/w/repo")],
        network=False,
        protected=["/w/repo/vendor/lib/.git", "/w/repo/.codex"],
        secret_files=["/h/.codex/auth.json"],
        secret_dirs=["/h/.codex/sessions"],
    )
    assert params["PROTECTED_0"] == "/w/repo/vendor/lib/.git"
    assert params["PROTECTED_1"] == "/w/repo/.codex"
    assert params["SECRET_FILE_0"] == "/h/.codex/auth.json"
    assert params["SECRET_DIR_0"] == "/h/.codex/sessions"
    assert (
        '(require-all (subpath (param "WRITABLE_ROOT_0"))'
        ' (require-not (subpath (param "WRITABLE_ROOT_0_GIT")))'
        ' (require-not (regex #"/\\.(git|codex|agents)(/|$)"))'
        ' (require-not (subpath (param "PROTECTED_0")))'
        ' (require-not (subpath (param "PROTECTED_1"))))'
    ) in text
    assert "(allow file-read*)" not in text  # reading is allowed except the secrets
    assert (
        '(allow file-read* (require-all\n  (require-not (literal (param "SECRET_FILE_0")))' in text
    )
    assert '(require-not (subpath (param "SECRET_DIR_0")))))' in text
    assert "/w/" not in text and "/h/" not in text
    assert _balanced(text)


def test_read_only_profile_hides_secrets_too() -> None:
    text, params = profile([], network=False, secret_files=["/h/auth.json"])
    assert params == {"SECRET_FILE_0": "/h/auth.json"}
    assert '(require-not (literal (param "SECRET_FILE_0")))' in text
    assert "(allow file-write*" not in text
    assert _balanced(text)


def test_sandbox_exec_argv_with_codex_home(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    home = ws / ".codex"  # a session started in $HOME
    (home / "sessions").mkdir(parents=True)
    (home / "auth.json").write_text("{}")
    argv = sandbox_exec_argv(["true"], [ws], network=False, codex_home=home)
    defines = {a[2:].split("=", 1)[0]: a.split("=", 1)[1] for a in argv if a.startswith("-D")}
    real = ws.resolve()
    assert defines["PROTECTED_0"] == str(real / ".codex")
    assert defines["SECRET_FILE_0"] == str(real / ".codex" / "auth.json")
    assert defines["SECRET_DIR_0"] == str(real / ".codex" / "sessions")
    argv = sandbox_exec_argv(["true"], [], network=False, codex_home=home)  # read-only
    assert not any(a.startswith("-DPROTECTED") for a in argv)
    assert f"-DSECRET_FILE_0={real / '.codex' / 'auth.json'}" in argv


def test_the_component_pattern() -> None:
    """What the Seatbelt regular expression matches (same syntax as Python's here)."""
    import re

    pattern = re.compile(r"/\.(git|codex|agents)(/|$)")
    for path in ("/w/.git", "/w/vendor/lib/.git/config", "/w/.codex", "/w/a/.agents/x"):
        assert pattern.search(path), path
    for path in ("/w/.github/x", "/w/a.git/x", "/w/.gitignore", "/w/.codexrc"):
        assert not pattern.search(path), path
