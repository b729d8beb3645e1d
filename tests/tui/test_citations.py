"""Citations in model text become editor links (only for files that exist)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.frontends.tui.citations import (
    citation_uri,
    find_citations,
    link_spans,
    linkify_terminal,
    markdown_filter,
    osc8,
)

CWD = Path("/work/proj")
EXISTING = {
    Path("/work/proj/src/app.py"),
    Path("/work/proj/README.md"),
    Path("/etc/hosts"),
    Path("/work/proj/dir with space/x.rs"),
}


def exists(p: Path) -> bool:
    return p in EXISTING


FORMS = [
    ("see src/app.py:12 now", "src/app.py", 12, None, None),
    ("at src/app.py:12:5.", "src/app.py", 12, None, 5),
    ("(./src/app.py:3)", "./src/app.py", 3, None, None),
    ("src/app.py#L10-L20", "src/app.py", 10, 20, None),
    ("src/app.py#L7", "src/app.py", 7, None, None),
    ("【F:/etc/hosts†L1-L2】", "/etc/hosts", 1, 2, None),
    ("【F:src/app.py†L4】", "src/app.py", 4, None, None),
    ("【F:src/app.py†L4-L?】", "src/app.py", 4, None, None),
    ("/etc/hosts:9", "/etc/hosts", 9, None, None),
]


@pytest.mark.parametrize(("text", "path", "line", "end", "col"), FORMS)
def test_forms_are_found(text: str, path: str, line: int, end: int | None, col: int | None) -> None:
    (c,) = find_citations(text)
    assert (c.path, c.line, c.end_line, c.col) == (path, line, end, col)
    assert text[c.start : c.end].startswith(("【", path))


@pytest.mark.parametrize(
    "text", ["http://example.com:8080/x", "at 12:30 today", "a::b:1x", "no citation here"]
)
def test_non_citations_are_not_linked(text: str) -> None:
    assert link_spans(text, CWD, "vscode", exists) == []


@pytest.mark.parametrize(
    ("opener", "prefix"),
    [
        ("vscode", "vscode://file"),
        ("vscode-insiders", "vscode-insiders://file"),
        ("windsurf", "windsurf://file"),
        ("cursor", "cursor://file"),
    ],
)
def test_uri_schemes(opener: str, prefix: str) -> None:
    (c,) = find_citations("src/app.py:12:5")
    assert citation_uri(c, CWD, opener, exists) == f"{prefix}/work/proj/src/app.py:12:5"


def test_none_opener_and_missing_files_stay_plain() -> None:
    text = "src/app.py:3 and missing.py:4"
    assert linkify_terminal(text, CWD, "none", exists) == text
    assert markdown_filter(CWD, "none", exists)(text) == text
    spans = link_spans(text, CWD, "vscode", exists)
    assert [text[s:e] for s, e, _ in spans] == ["src/app.py:3"]


def test_paths_are_percent_encoded() -> None:
    (c,) = find_citations("【F:dir with space/x.rs†L2】")
    assert (
        citation_uri(c, CWD, "vscode", exists)
        == "vscode://file/work/proj/dir%20with%20space/x.rs:2"
    )


def test_terminal_osc8() -> None:
    out = linkify_terminal("fix README.md:1 and 【F:/etc/hosts†L1-L2】", CWD, "cursor", exists)
    assert out == (
        "fix "
        + osc8("README.md:1", "cursor://file/work/proj/README.md:1")
        + " and "
        + osc8("/etc/hosts:1-2", "cursor://file/etc/hosts:1")
    )
    assert osc8("x", "u") == "\x1b]8;;u\x1b\\x\x1b]8;;\x1b\\"


def test_markdown_rewrite_respects_code_and_links() -> None:
    md = (
        "Changed src/app.py:12 and `src/app.py:3`.\n"
        "Already [src/app.py:5](https://x/y) and <https://h:1/a>.\n"
        "```python\n"
        "x = 'src/app.py:9'\n"
        "```\n"
        "`a = src/app.py:1 + 2`\n"
    )
    out = markdown_filter(CWD, "vscode", exists)(md)
    assert out.splitlines() == [
        "Changed [src/app.py:12](vscode://file/work/proj/src/app.py:12) and "
        "[`src/app.py:3`](vscode://file/work/proj/src/app.py:3).",
        "Already [src/app.py:5](https://x/y) and <https://h:1/a>.",
        "```python",
        "x = 'src/app.py:9'",
        "```",
        "`a = src/app.py:1 + 2`",
    ]


def test_markdown_label_escapes() -> None:
    EXISTING.add(Path("/work/proj/my_file_.py"))
    try:
        out = markdown_filter(CWD, "vscode", exists)("see my_file_.py:2")
    finally:
        EXISTING.discard(Path("/work/proj/my_file_.py"))
    assert out == "see [my\\_file\\_.py:2](vscode://file/work/proj/my_file_.py:2)"


def test_real_files_by_default(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text("x\n")
    spans = link_spans("real.py:1 fake.py:1", tmp_path, "vscode")
    assert spans == [(0, 9, f"vscode://file{tmp_path.as_posix()}/real.py:1")]
