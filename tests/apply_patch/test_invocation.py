"""Recognising apply_patch calls sent through the ``shell`` tool (reference §3.4 forms)."""

from __future__ import annotations

import pytest

from pycodex.apply_patch import Invocation, extract_patch_from_argv, parse_patch
from tests.apply_patch.support import patch

PATCH = patch("*** Add File: a.txt", "+hi")


@pytest.mark.parametrize("name", ["apply_patch", "applypatch", "/usr/local/bin/apply_patch"])
def test_direct_form(name: str) -> None:
    assert extract_patch_from_argv([name, PATCH]) == Invocation(PATCH, None, "direct")


@pytest.mark.parametrize("opener", ["<<'EOF'", '<<"EOF"', "<<EOF", "<< 'EOF'"])
def test_lenient_heredoc_inside_the_argument(opener: str) -> None:
    found = extract_patch_from_argv(["apply_patch", f"{opener}\n{PATCH}EOF\n"])
    assert found == Invocation(PATCH, None, "lenient_heredoc")


@pytest.mark.parametrize("shell", ["bash", "/bin/bash", "sh", "zsh"])
@pytest.mark.parametrize("flag", ["-lc", "-c"])
@pytest.mark.parametrize("opener", ["<<'EOF'", '<<"EOF"', "<<EOF", "<< 'PATCH'", "<<'END_PATCH'"])
def test_heredoc_through_a_shell(shell: str, flag: str, opener: str) -> None:
    delimiter = opener.strip("<' \"")
    script = f"apply_patch {opener}\n{PATCH}{delimiter}\n"
    found = extract_patch_from_argv([shell, flag, script])
    assert found == Invocation(PATCH, None, "shell_heredoc")
    assert found is not None
    assert parse_patch(found.patch).hunks


@pytest.mark.parametrize(
    ("prefix", "workdir"),
    [
        ("cd src && ", "src"),
        ("cd 'my dir' && ", "my dir"),
        ('cd "/abs/path" && ', "/abs/path"),
        ("cd sub; ", "sub"),
    ],
)
def test_cd_prefix_gives_the_workdir(prefix: str, workdir: str) -> None:
    script = f"{prefix}apply_patch <<'EOF'\n{PATCH}EOF"
    assert extract_patch_from_argv(["bash", "-lc", script]) == Invocation(
        PATCH, workdir, "shell_heredoc"
    )


def test_dash_heredoc_strips_tabs() -> None:
    script = "apply_patch <<-EOF\n\t*** Begin Patch\n\t*** Delete File: x\n\t*** End Patch\n\tEOF\n"
    found = extract_patch_from_argv(["bash", "-lc", script])
    assert found is not None
    assert found.patch == "*** Begin Patch\n*** Delete File: x\n*** End Patch\n"


def test_patch_as_one_quoted_shell_argument() -> None:
    script = "apply_patch '" + PATCH + "'"
    assert extract_patch_from_argv(["bash", "-lc", script]) == Invocation(
        PATCH, None, "shell_argument"
    )


def test_bare_apply_patch_is_recognised_with_an_empty_patch() -> None:
    assert extract_patch_from_argv(["apply_patch"]) == Invocation("")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["ls", "-la"],
        ["apply_patch", "a", "b"],
        ["bash", "-lc", "echo hi"],
        ["bash", "-lc", "apply_patch <<'EOF'\n*** Begin Patch\n*** End Patch\nEOF\necho more"],
        ["bash", "-lc", "apply_patch <<'EOF'\n*** Begin Patch\n(no terminator)"],
        ["bash", "-lc", "cat <<'EOF'\nx\nEOF"],
        ["bash", "-x", f"apply_patch <<'EOF'\n{PATCH}EOF"],
        ["python", "-c", f"apply_patch <<'EOF'\n{PATCH}EOF"],
        ["bash", "-lc", "apply_patch 'unterminated"],
        ["bash", "-lc", "cd a && rm -rf b && apply_patch <<'EOF'\nx\nEOF"],
    ],
)
def test_ordinary_commands_are_not_patches(argv: list[str]) -> None:
    assert extract_patch_from_argv(argv) is None
