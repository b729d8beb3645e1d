"""The `@` picker's index: gitignore semantics (checked against real git) and fuzzy ranking."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from pycodex.file_search import SCORE_BUDGET, FileIndex, GitIgnore, parse_gitignore, walk_files
from pycodex.file_search.ranking import score_path as _score

HAVE_GIT = shutil.which("git") is not None

# (ignore file text, path, is_dir, ignored?)
RULES: list[tuple[str, str, bool, bool]] = [
    ("*.log", "a.log", False, True),
    ("*.log", "deep/er/a.log", False, True),
    ("*.log", "a.logx", False, False),
    ("*.log\n!keep.log", "keep.log", False, False),
    ("*.log\n!keep.log", "sub/keep.log", False, False),
    ("!keep.log\n*.log", "keep.log", False, True),  # the last match wins
    ("build/", "build", True, True),
    ("build/", "build", False, False),  # trailing slash: directories only
    ("build/", "x/build", True, True),
    ("/build", "build", False, True),  # anchored
    ("/build", "x/build", False, False),
    ("doc/frotz", "doc/frotz", False, True),  # a middle slash anchors too
    ("doc/frotz", "a/doc/frotz", False, False),
    ("foo/*", "foo/bar", False, True),
    ("foo/*", "foo/bar/baz", False, False),
    ("**/foo", "foo", False, True),
    ("**/foo", "a/b/foo", False, True),
    ("**/foo/bar", "x/foo/bar", False, True),
    ("abc/**", "abc/x/y", False, True),
    ("abc/**", "abc", True, False),
    ("a/**/b", "a/b", False, True),
    ("a/**/b", "a/x/y/b", False, True),
    ("a/**/b", "xa/b", False, False),
    ("?.txt", "a.txt", False, True),
    ("?.txt", "ab.txt", False, False),
    ("[ab].c", "a.c", False, True),
    ("[ab].c", "c.c", False, False),
    ("[!ab].c", "c.c", False, True),
    ("[a-c]x", "bx", False, True),
    ("\\#hash", "#hash", False, True),
    ("# comment", "# comment", False, False),
    ("\\!bang", "!bang", False, True),
    ("trail  ", "trail", False, True),  # trailing spaces dropped
    ("sp\\ ", "sp ", False, True),  # ...unless escaped
    ("*", "anything/at/all", False, True),
    ("", "x", False, False),
]


@pytest.mark.parametrize(("text", "path", "is_dir", "expected"), RULES)
def test_gitignore_rule_table(text: str, path: str, is_dir: bool, expected: bool) -> None:
    assert GitIgnore(parse_gitignore(text)).ignored(path, is_dir) is expected


def test_nested_gitignore_base_is_its_directory() -> None:
    rules = GitIgnore(parse_gitignore("*.tmp\n")).extended(
        parse_gitignore("/only_here\n!keep.tmp\n", "sub/")
    )
    assert rules.ignored("sub/only_here", False)
    assert not rules.ignored("only_here", False)
    assert not rules.ignored("sub/keep.tmp", False)
    assert rules.ignored("keep.tmp", False)
    assert rules.ignored("sub/x.tmp", False)


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


TREE = {
    ".gitignore": "*.log\n/build/\nnode_modules/\n!important.log\nsecret*\ndocs/**/*.tmp\n",
    "a.py": "",
    "app.log": "",
    "important.log": "",
    "build/out.o": "",
    "src/build/keep.c": "",  # "/build/" is anchored to the top
    "node_modules/x/index.js": "",
    "src/node_modules/y.js": "",
    "src/main.py": "",
    "src/.gitignore": "*.gen\n!keep.gen\n/local.txt\n",
    "src/a.gen": "",
    "src/keep.gen": "",
    "src/local.txt": "",
    "src/deeper/local.txt": "",
    "src/deeper/b.gen": "",
    "docs/x/y/z.tmp": "",
    "docs/top.tmp": "",
    "docs/readme.md": "",
    "secret.key": "",
    "lib/secrets/inner.txt": "",
    "excluded_by_info.txt": "",
    ".hidden/visible.txt": "",
    "sp ace/file name.txt": "",
}


@pytest.mark.skipif(not HAVE_GIT, reason="git is not installed")
def test_walk_matches_git_ls_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    _tree(tmp_path, TREE)
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("excluded_by_info.txt\n")
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"},
    ).stdout.decode()
    expected = sorted(p for p in out.split("\0") if p)
    got = sorted(walk_files(tmp_path))
    assert got == expected
    assert "src/deeper/local.txt" in got and "src/local.txt" not in got
    # From a subdirectory: the parents' ignore files still apply, paths are relative to it.
    assert sorted(walk_files(tmp_path / "src")) == sorted(
        p.removeprefix("src/") for p in expected if p.startswith("src/")
    )


def test_walk_outside_git_honours_gitignore_and_skips_symlinked_dirs(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": "*.o\n", "x.o": "", "x.c": "", "d/y.c": ""})
    (tmp_path / "link").symlink_to(tmp_path / "d", target_is_directory=True)
    assert sorted(walk_files(tmp_path)) == [".gitignore", "d/y.c", "link", "x.c"]


def test_index_builds_in_background_and_searches(tmp_path: Path) -> None:
    _tree(tmp_path, {"hello.txt": "", "src/help.py": "", "zzz/other.md": ""})
    index = FileIndex(tmp_path).start()
    assert index.wait(30)
    assert index.error is None and len(index) == 3
    assert [m.path for m in index.search("hel")][:2] == ["hello.txt", "src/help.py"]
    assert index.search("qqq") == []
    assert [m.path for m in index.search("", limit=2)] == ["hello.txt", "src/help.py"]


def test_search_before_ready_starts_the_build(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": ""})
    index = FileIndex(tmp_path)
    assert index.search("a") == []  # not built yet: starts the background build
    assert index.wait(30)
    assert index.build() is index  # idempotent
    assert [m.path for m in index.search("a")] == ["a.py"]
    assert [m.path for m in FileIndex(".", paths=["x/b.md"]).build().search("b")] == ["x/b.md"]


RANKING = [
    # (query, paths, expected first)
    ("main", ["src/domain/admin.py", "src/main.py", "main/other/x.py"], "src/main.py"),
    ("fs", ["fast/sum.txt", "lib/file_search.py", "f/x/s.c"], "lib/file_search.py"),
    ("fs", ["lib/filesearch.py", "lib/FileSearch.py"], "lib/FileSearch.py"),  # camel
    ("read", ["a/b/c/d/README.md", "z/readme"], "z/readme"),  # exact name, shorter
    ("src/app", ["app/src/x.py", "src/app.py", "source/apps/x.py"], "src/app.py"),
    ("cfg", ["config.go", "my/cfg.go"], "my/cfg.go"),  # contiguous basename prefix
]


@pytest.mark.parametrize(("query", "paths", "best"), RANKING)
def test_ranking(query: str, paths: list[str], best: str) -> None:
    results = FileIndex(".", paths=paths).build().search(query)
    assert results[0].path == best, results


def test_newline_in_a_name_is_not_offered() -> None:
    index = FileIndex(".", paths=["bad\nname.py", "good.py"]).build()
    assert [m.path for m in index.search("name")] == []
    assert [m.path for m in index.search("py")] == ["good.py"]


def test_positions_point_at_matched_characters() -> None:
    results = FileIndex(".", paths=["src/FileSearch.py", "docs/x.md"]).build().search("FS")
    assert [m.path for m in results] == ["src/FileSearch.py"]
    m = results[0]
    assert "".join(m.path[p] for p in m.positions).lower() == "fs"
    assert m.positions == (4, 8)  # the camel-case boundaries, in the basename


WORDS = (
    "app core util model view service handler config data api auth user session "
    "token cache store render widget layout event stream parser index tree node"
)


def _synthetic(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = WORDS.split()
    out: set[str] = set()
    while len(out) < n:
        dirs = [rng.choice(words) for _ in range(rng.randint(1, 5))]
        name = rng.choice(words) + rng.choice(["", "_", "-"]) + rng.choice(words)
        out.add("/".join(dirs) + f"/{name}{rng.randint(0, 999)}." + rng.choice(["py", "ts", "md"]))
    return sorted(out)


def _brute(paths: list[str], q: str) -> list[tuple[int, str]]:
    hits = []
    for p in paths:
        low = p.lower()
        it = iter(low)
        if all(ch in it for ch in q):
            score, _ = _score(p, low, p.rfind("/") + 1, q)
            hits.append((-score, len(p), p))
    hits.sort()
    return [(-s, p) for s, _, p in hits]


def test_100k_synthetic_tree_matches_brute_force() -> None:
    paths = _synthetic(100_000)
    paths.append("deeply/nested/src/pycodex/frontends/tui/file_search.py")
    index = FileIndex(".", paths=paths).build()
    assert len(index) == 100_001
    # A typed sequence (narrowing) and fresh queries; selective ones must be exact.
    for q in ["f", "fi", "fil", "file_s", "file_search", "tuifs", "zqzq", "pycodexfront"]:
        got = index.search(q, limit=10)
        for m in got:
            low = m.path.lower()
            assert "".join(low[p] for p in m.positions) == q
        expected = _brute(paths, q)
        if len(expected) <= SCORE_BUDGET:
            assert [(m.score, m.path) for m in got] == expected[:10], q
        else:  # approximate tiers: still real matches, and the best basename hit is there
            assert len(got) == 10
    assert index.search("file_search")[0].path.endswith("tui/file_search.py")
    assert index.search("zqzq") == []
