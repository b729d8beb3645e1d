"""The plain-command-list parser for ``bash -lc SCRIPT``: what it accepts and why it refuses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pycodex.core.shell_parse import (
    SimpleCommand,
    Unsupported,
    parse_script,
    plain_commands,
    shell_script,
    why_not_plain,
)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("ls", [("ls",)]),
        ("  ls   -la  ", [("ls", "-la")]),
        ("ls && git status | wc -l", [("ls",), ("git", "status"), ("wc", "-l")]),
        ("ls||pwd;true|cat", [("ls",), ("pwd",), ("true",), ("cat",)]),
        ("ls;", [("ls",)]),
        ("echo '&&'", [("echo", "&&")]),
        ("echo '$(rm -rf /)'", [("echo", "$(rm -rf /)")]),
        ('echo "a b" c', [("echo", "a b", "c")]),
        ('echo "it\'s"', [("echo", "it's")]),
        ("echo 'say \"hi\"'", [("echo", 'say "hi"')]),
        ('echo "\\$HOME"', [("echo", "$HOME")]),
        ('echo "a\\"b"', [("echo", 'a"b')]),
        ('echo "a\\nb"', [("echo", "a\\nb")]),  # backslash stays before ordinary chars
        ("echo a\\ b", [("echo", "a b")]),
        ("echo \\$x \\> \\;", [("echo", "$x", ">", ";")]),
        ("echo ab'c d'\"e\"f", [("echo", "abc def")]),
        ("echo ''", [("echo", "")]),
        ("grep -n 'fn main' src/main.rs", [("grep", "-n", "fn main", "src/main.rs")]),
        ("ls\npwd", [("ls",), ("pwd",)]),
        ("\n\nls\n\n", [("ls",)]),
        ("ls &&\n  pwd", [("ls",), ("pwd",)]),
        ("ls |\npwd", [("ls",), ("pwd",)]),
        ("ls;\npwd", [("ls",), ("pwd",)]),
        ("ls \\\n -la", [("ls", "-la")]),
        ("echo a#b", [("echo", "a#b")]),
        ("echo ~/x", [("echo", "~/x")]),
        ("find . ! -name x", [("find", ".", "!", "-name", "x")]),
        ("echo if then", [("echo", "if", "then")]),
        ("'if' x", [("if", "x")]),  # a quoted word is never a reserved word
        ("ls x=1", [("ls", "x=1")]),  # an assignment only counts before the command
        ("'FOO=1' ls", [("FOO=1", "ls")]),
        ("echo \t tab", [("echo", "tab")]),
        ("echo é\u00a0x", [("echo", "é\u00a0x")]),  # only space, tab, newline split words
    ],
)
def test_plain_lists(script: str, expected: list[tuple[str, ...]]) -> None:
    assert plain_commands(script) == expected
    assert why_not_plain(script) is None


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("ls > out", "redirection"),
        ("ls >> out", "redirection"),
        ("ls 2> err", "redirection"),
        ("ls 2>&1", "redirection"),
        ("cat < in", "redirection"),
        ("cat <<EOF\nx\nEOF", "redirection"),
        ("diff <(ls) x", "redirection"),
        ("ls &> out", "&"),
        ("ls &", "&"),
        ("ls & pwd", "&"),
        ("ls |& cat", "|&"),
        ("(ls)", "subshell"),
        ("ls; (rm x)", "subshell"),
        ("{ ls; }", "brace"),
        ("echo {a,b}", "brace"),
        ("echo $(rm -rf /)", "$"),
        ('echo "$(rm -rf /)"', "$"),
        ('echo "$HOME"', "$"),
        ("echo $HOME", "$"),
        ("echo ${x}", "$"),
        ("echo $'\\x41'", "$"),
        ("echo $((1+1))", "$"),
        ("echo `id`", "backtick"),
        ('echo "`id`"', "backtick"),
        ("ls # list", "comment"),
        ("# only", "comment"),
        ("FOO=bar ls", "assignment"),
        ("PATH+=:/x ls", "assignment"),
        ("if true; then ls; fi", "reserved word `if`"),
        ("! ls", "reserved word `!`"),
        ("time ls", "reserved word `time`"),
        ("for x in a; do ls; done", "reserved word `for`"),
        ("* -la", "glob in command position"),
        ("l? x", "glob in command position"),
        ("[[ -f x ]]", "reserved word `[[`"),
        ("[ -f x ]", "glob in command position"),
        ("echo 'unterminated", "unterminated single quote"),
        ('echo "unterminated', "unterminated double quote"),
        ("echo x\\", "trailing backslash"),
        ("", "empty script"),
        ("   \n ", "empty script"),
        ("; ls", "no command before"),
        ("ls && && pwd", "no command before"),
        ("| ls", "no command before"),
        ("ls &&", "ends with `&&`"),
        ("ls |", "ends with `|`"),
        ("ls ||\n", "ends with `||`"),
        ("case x in a) ls;; esac", "subshell or grouping"),
        ("ls;; pwd", "case terminator"),
    ],
)
def test_refused(script: str, why: str) -> None:
    assert plain_commands(script) is None
    reason = why_not_plain(script)
    assert reason is not None
    assert why in reason
    with pytest.raises(Unsupported):
        parse_script(script)


@pytest.mark.parametrize(
    ("script", "has_glob", "option_glob"),
    [
        ("ls src", False, False),
        ("ls '*.py'", False, False),
        ("ls \\*.py", False, False),
        ('ls "src/*"', False, False),
        ("ls src/*.py", True, False),
        ("ls ./*", True, False),
        ("ls *.py", True, True),
        ("ls *", True, True),
        ("ls -*", True, True),
        ("ls '-x'*", True, True),
        ("ls file?.txt", True, False),
        ("ls [ab].txt", True, True),
        ("ls x[ab]", True, False),
    ],
)
def test_globs_are_reported(script: str, has_glob: bool, option_glob: bool) -> None:
    (command,) = parse_script(script)
    assert command == SimpleCommand(command.argv, has_glob=has_glob, option_glob=option_glob)


def test_the_argv_keeps_glob_text_unexpanded() -> None:
    assert plain_commands("ls src/*.py") == [("ls", "src/*.py")]


@pytest.mark.parametrize(
    ("argv", "script"),
    [
        (["bash", "-lc", "ls"], "ls"),
        (["bash", "-c", "ls"], "ls"),
        (["sh", "-c", "ls"], "ls"),
        (["zsh", "-lc", "ls"], "ls"),
        (["/bin/bash", "-lc", "ls"], "ls"),
        (["/usr/bin/sh", "-c", "ls"], "ls"),
        (["bash", "-lc"], None),
        (["bash", "-lc", "ls", "extra"], None),
        (["bash", "-l", "ls"], None),
        (["bash", "-x", "ls"], None),
        (["./bash", "-lc", "ls"], None),
        (["bin/bash", "-lc", "ls"], None),
        (["/tmp/bash", "-lc", "ls"], None),
        (["fish", "-c", "ls"], None),
        (["python", "-c", "print(1)"], None),
    ],
)
def test_shell_script_recognises_only_plain_shell_invocations(
    argv: list[str], script: str | None
) -> None:
    assert shell_script(argv) == script


# Scripts whose every command runs (no ``||``), checked against what real bash executes.
AGREEMENT = [
    "ls -la src",
    "ls && git status | wc -l",
    "ls;pwd;true",
    "echo '&&' ';' '|'",
    'echo "a b" c',
    'echo "it\'s" \'say "hi"\'',
    'echo "\\$HOME" "a\\"b" "a\\nb"',
    "echo a\\ b \\$x \\> \\;",
    "echo ab'c d'\"e\"f ''",
    "ls\npwd\n",
    "ls &&\n  pwd |\n wc",
    "ls \\\n -la",
    "echo a#b x=1",
    "grep -n 'fn main' src/*.rs",
    "find . ! -name '*.py'",
    "'if' x",
    "echo \t tab",
]


def _run_with_stub_programs(script: str, tmp_path: Path) -> list[tuple[str, ...]]:
    """Run ``script`` in bash with every command replaced by a stub that logs its argv."""
    bash = shutil.which("bash")
    assert bash is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "stub"
    # One log file per process: pipeline stages run at once, and appends to a shared file
    # could interleave their records.
    stub.write_text('#!/bin/sh\nprintf \'%s\\0\' "${0##*/}" "$@" > "$LOG/$$"\n')
    stub.chmod(0o755)
    commands = parse_script(script)
    for name in {c.argv[0] for c in commands}:
        (bin_dir / name).symlink_to(stub)
    work = tmp_path / "empty"  # globs match nothing, so bash keeps them literal
    work.mkdir()
    log = tmp_path / "log"
    log.mkdir()
    builtins = "enable -n echo pwd true false cd test printf\n"
    subprocess.run(
        [bash, "--norc", "--noprofile", "-c", builtins + script],
        env={"PATH": str(bin_dir), "LOG": str(log)},
        cwd=work,
        stdin=subprocess.DEVNULL,
        check=True,
        timeout=30,
    )
    records = [f.read_bytes() for f in log.iterdir()]
    return [tuple(a.decode() for a in r.split(b"\0")[:-1]) for r in records]


@pytest.mark.parametrize("script", AGREEMENT)
def test_bash_runs_exactly_the_parsed_commands(script: str, tmp_path: Path) -> None:
    ran = _run_with_stub_programs(script, tmp_path)
    # pipelines run concurrently: compare the commands, not their order
    assert sorted(ran) == sorted(c.argv for c in parse_script(script))
