"""Known-safe commands (reference §5.2, with the gaps of v0.20 closed)."""

from __future__ import annotations

import pytest

from pycodex.core.command_safety import ALWAYS_SAFE, is_known_safe


def bash(script: str) -> list[str]:
    return ["bash", "-lc", script]


SAFE: list[list[str]] = [
    *([name] for name in sorted(ALWAYS_SAFE)),
    ["ls", "-la", "/etc"],
    ["cat", "README.md"],
    ["grep", "-rn", "TODO", "src"],
    ["head", "-n", "5", "f"],
    ["wc", "-l", "f"],
    ["which", "python"],
    # find
    ["find", ".", "-name", "*.py"],
    ["find", ".", "-type", "f", "-newer", "x", "-print"],
    ["find", ".", "!", "-name", "x"],
    # rg
    ["rg", "TODO"],
    ["rg", "-n", "-i", "--glob", "*.py", "foo", "src"],
    ["rg", "--pre-glob", "*.gz", "x"],
    ["rg", "--no-search-zip", "x"],
    ["rg", "-Z", "x"],
    ["rg", "--", "--pre", "file"],  # after --: a pattern and a path
    # git
    ["git", "status"],
    ["git", "status", "--porcelain", "-uno"],
    ["git", "log", "--oneline", "-n", "5"],
    ["git", "diff", "--stat", "HEAD~1"],
    ["git", "diff", "--no-ext-diff"],
    ["git", "diff", "--output-indicator-new=>"],
    ["git", "diff", "--", "--output=x"],  # a path after --
    ["git", "show", "HEAD:README.md"],
    ["git", "-C", "sub", "status"],
    ["git", "--no-pager", "log"],
    ["git", "branch"],
    ["git", "branch", "-a"],
    ["git", "branch", "-vv"],
    ["git", "branch", "-av"],
    ["git", "branch", "--show-current"],
    ["git", "branch", "--list", "feat/*"],
    ["git", "branch", "-l", "feat/*"],
    ["git", "branch", "--contains", "abc123"],
    ["git", "branch", "--merged", "main"],
    ["git", "branch", "--points-at", "HEAD"],
    ["git", "branch", "--sort=-committerdate", "--format=%(refname:short)"],
    ["git", "branch", "--color=always"],
    ["git", "diff", "--text"],  # an option of its own, not an abbreviation of --textconv
    ["git", "diff", "--no-textconv", "--no-ext-diff"],
    ["git", "log", "-p", "--no-textconv"],
    ["git", "status", "--short", "--branch"],
    # sed
    ["sed", "-n", "1p", "f"],
    ["sed", "-n", "10,20p", "src/main.rs"],
    # shells
    bash("ls"),
    ["sh", "-c", "ls"],
    ["zsh", "-lc", "ls"],
    ["bash", "-c", "pwd"],
    ["/bin/bash", "-lc", "ls"],
    bash("ls && git status | wc -l"),
    bash("ls || pwd; true"),
    bash("echo '&&'"),
    bash("echo '$(rm -rf /)'"),
    bash("grep -n 'fn main' src/*.rs | head -n 3"),
    bash("cd sub && git diff"),
    bash("sed -n 1,5p a.txt"),
    bash("ls *.py"),  # may expand to options, but ls has none that write
    bash("cat *"),
    bash("find ./* -name x"),
    bash("rg foo src/*"),
    bash("find . -name '*.py'"),
    bash("bash -lc 'ls'"),  # nested once
    bash("ls\npwd"),
]

UNSAFE: list[list[str]] = [
    [],
    ["rm", "-rf", "x"],
    ["touch", "x"],
    ["/bin/ls"],  # bare names only
    ["./ls"],
    ["python", "-c", "print(1)"],
    # find
    ["find", ".", "-delete"],
    ["find", ".", "-exec", "rm", "{}", ";"],
    ["find", ".", "-execdir", "x", ";"],
    ["find", ".", "-ok", "rm", ";"],
    ["find", ".", "-okdir", "rm", ";"],
    ["find", ".", "-fls", "out"],
    ["find", ".", "-fprint", "out"],
    ["find", ".", "-fprint0", "out"],
    ["find", ".", "-fprintf", "out", "%p"],
    # rg
    ["rg", "--pre", "x", "foo"],
    ["rg", "--pre=x", "foo"],
    ["rg", "--pr=x", "foo"],  # an abbreviation is refused too
    ["rg", "--hostname-bin", "x", "foo"],
    ["rg", "--hostname-bin=x", "foo"],
    ["rg", "--search-zip", "foo"],
    ["rg", "-z", "foo"],
    ["rg", "-iz", "foo"],  # z inside a cluster
    # git
    ["git"],
    ["git", "push"],
    ["git", "commit", "-m", "x"],
    ["git", "checkout", "."],
    ["git", "-c", "core.pager=evil", "status"],
    ["git", "-c", "x=y", "log"],
    ["git", "--git-dir=/x", "status"],
    ["git", "--exec-path=/x", "status"],
    ["git", "-C"],
    ["git", "diff", "--output=/tmp/x"],
    ["git", "log", "-p", "--output", "x"],
    ["git", "show", "--outp=x"],
    ["git", "diff", "--ext-diff"],
    ["git", "log", "-p", "--ext"],  # git would expand it to --ext-diff
    ["git", "diff", "--textconv"],
    ["git", "show", "--textc", "HEAD"],
    ["git", "log", "-p", "--textconv"],
    ["git", "status", "--exec=x"],
    ["git", "log", "--paginate"],
    ["git", "-p", "log"],
    ["git", "--paginate", "status"],
    ["git", "--config-env=core.pager=X", "status"],
    ["git", "-ccore.pager=cat", "status"],
    ["git", "--work-tree=/x", "status"],
    ["git", "--bare", "log"],
    ["git", "branch", "--textconv"],
    ["git", "branch", "-D", "x"],
    ["git", "branch", "-d", "x"],
    ["git", "branch", "new-branch"],
    ["git", "branch", "new", "main"],
    ["git", "branch", "-m", "a", "b"],
    ["git", "branch", "-c", "a", "b"],
    ["git", "branch", "--delete", "x"],
    ["git", "branch", "--set-upstream-to=origin/x"],
    ["git", "branch", "--unset-upstream"],
    ["git", "branch", "--edit-description"],
    ["git", "branch", "-f", "x", "HEAD"],
    ["git", "branch", "-v", "new"],  # -v does not make it list: this creates "new"
    ["git", "branch", "--sort", "--list", "new"],  # --sort eats --list
    # cargo (v0.20 had `cargo check`: it runs build.rs and proc macros), sed
    ["cargo"],
    ["cargo", "check"],
    ["cargo", "check", "--all-targets"],
    ["cargo", "build"],
    ["cargo", "run"],
    ["sed", "-n", "1p"],
    ["sed", "-n", "1p", "f", "g"],
    ["sed", "-i", "s/a/b/", "f"],
    ["sed", "-n", "1p", "-i"],
    ["sed", "-n", "1d", "f"],
    ["sed", "-n", "p", "f"],
    ["sed", "-n", "1,p", "f"],
    ["sed", "-n", "1,2,3p", "f"],
    ["sed", "-n", "²p", "f"],  # a digit to str.isdigit, not to sed
    ["sed", "-n", "1p;w x", "f"],
    ["sed", "1p", "-n", "f"],
    # shells
    bash("ls > out"),
    bash("ls >> out"),
    bash("echo $(rm -rf /)"),
    bash("echo `rm -rf /`"),
    bash("ls; rm x"),
    bash("ls && rm x"),
    bash("ls | xargs rm"),
    bash("echo 'unterminated"),
    bash('echo "unterminated'),
    bash("(ls)"),
    bash("FOO=1 ls"),
    bash("ls &"),
    bash("touch x"),
    bash("find . -delete"),
    bash("find . *"),  # * may expand to a file named -delete
    bash("rg foo *"),  # ... or --pre=evil
    bash("git diff *"),  # ... or --output=x
    bash("bash -lc src/*"),  # the glob would choose the script
    bash("bash -lc 'bash -lc ls'"),  # three shells deep
    bash("sed -n 1p"),
    bash("git branch -D main"),
    bash("cargo check"),
    bash("cd docs && git diff --textconv"),
    bash("GIT_EXTERNAL_DIFF=x git diff"),
    bash("git -c core.fsmonitor=x status"),
    ["bash", "-lc", "ls", "extra"],
    ["bash", "-x", "ls"],
    ["fish", "-c", "ls"],
    ["./bash", "-lc", "ls"],
]


@pytest.mark.parametrize("argv", SAFE, ids=repr)
def test_known_safe(argv: list[str]) -> None:
    assert is_known_safe(argv)


@pytest.mark.parametrize("argv", UNSAFE, ids=repr)
def test_not_known_safe(argv: list[str]) -> None:
    assert not is_known_safe(argv)


def test_tuple_and_list_argv_agree() -> None:
    assert is_known_safe(("git", "status")) and is_known_safe(["git", "status"])
