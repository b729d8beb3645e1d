"""The human transcript of a patch: the changes, the result, the turn diff (plain and coloured)."""

from __future__ import annotations

from pycodex.protocol.events import FileChange, PatchApplyBegin, PatchApplyEnd, TurnDiff
from tests.headless.test_human import render

TS = "[2026-11-25T15:58:38] "
DIFF = "@@ -1,2 +1,2 @@\n keep\n-old\n+new\n"
TURN_DIFF = (
    "diff --git a/a.py b/a.py\nindex 1111111..2222222 100644\n--- a/a.py\n+++ b/a.py\n" + DIFF
)
SUCCESS = "Success. Updated the following files:\nA /w/new.txt\nM /w/a.py\nD /w/gone.txt\n"
CHANGES = {
    "/w/a.py": FileChange("update", unified_diff=DIFF),
    "/w/new.txt": FileChange("add", content="one\ntwo\n"),
    "/w/gone.txt": FileChange("delete"),
    "/w/b.py": FileChange("update", unified_diff="", move_path="/w/c.py"),
}


def _body(text: str) -> list[str]:
    """The lines after the header and the prompt ("do it")."""
    lines = text.splitlines()
    return lines[lines.index("do it") + 1 :]


def test_patch_cells_plain() -> None:
    text = render(
        [
            PatchApplyBegin("p", True, CHANGES),
            PatchApplyEnd("p", SUCCESS, "", True),
            TurnDiff(TURN_DIFF),
        ]
    )
    assert _body(text) == [
        TS + "apply_patch auto_approved=true:",
        "M /w/a.py",
        "@@ -1,2 +1,2 @@",
        " keep",
        "-old",
        "+new",
        "A /w/new.txt",
        "+one",
        "+two",
        "D /w/gone.txt",
        "M /w/b.py -> /w/c.py",
        TS + "apply_patch exited 0 in 0ms:",
        *SUCCESS.splitlines(),
        TS + "turn diff:",
        *TURN_DIFF.splitlines(),
    ]
    assert "\x1b[" not in text


def test_failed_patch_shows_the_error() -> None:
    text = render(
        [
            PatchApplyBegin("p", True, {"/w/a.py": FileChange("update", unified_diff=DIFF)}),
            PatchApplyEnd("p", "", "error: /w/a.py changed on disk", False),
            TurnDiff(""),
        ]
    )
    assert text.endswith(
        f"{TS}apply_patch exited 1 in 0ms:\nerror: /w/a.py changed on disk\n"
        f"{TS}turn diff:\n(no changes)\n"
    )


def test_patch_and_turn_diff_are_coloured_with_color() -> None:
    text = render(
        [
            PatchApplyBegin("p", True, {"/w/a.py": FileChange("update", unified_diff=DIFF)}),
            PatchApplyEnd("p", SUCCESS, "", True),
            TurnDiff(TURN_DIFF),
        ],
        color=True,
    )
    green, red, cyan, reset = "\x1b[32m", "\x1b[31m", "\x1b[36m", "\x1b[0m"
    assert f"{green}+new{reset}" in text and f"{red}-old{reset}" in text
    assert f"{cyan}@@ -1,2 +1,2 @@{reset}" in text
    assert f"\x1b[1mdiff --git a/a.py b/a.py{reset}" in text
    assert f"{green}\x1b[1mapply_patch{reset} {green}exited 0 in 0ms:{reset}" in text
