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
        ' (require-not (subpath (param "WRITABLE_ROOT_0_GIT"))))'
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
