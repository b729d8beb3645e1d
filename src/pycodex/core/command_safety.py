"""Which commands are "known safe": read-only, so no approval is needed (reference §5.2).

Known-safe commands still run inside the sandbox (issue 5; v0.20 ran them unsandboxed): this
list decides only whether the user is *asked*. It is deliberately short and exact. Programs
are matched by their bare name (``ls``, not ``/bin/ls`` or ``./ls``, which could be a script
in the workspace), and every rule refuses what it cannot prove read-only:

- always safe: ``cat cd echo false grep head ls nl pwd tail true wc which``;
- ``find`` without an action that runs, deletes or writes (``-exec -execdir -ok -okdir -delete
  -fls -fprint -fprint0 -fprintf``);
- ``rg`` without ``--pre``, ``--hostname-bin``, ``--search-zip`` (as ``--opt`` or
  ``--opt=value``, or any abbreviation of them) and without ``z`` in a short-option cluster
  (``-z``, ``-iz``);
- ``git [-C DIR] [--no-pager]`` followed by ``status``, ``log``, ``diff``, ``show`` or the
  *listing* forms of ``branch`` (v0.20 allowed any ``git branch``, including ``-D x``), none
  with ``--output``, ``--ext-diff``, ``--textconv``, ``--exec`` or ``--paginate`` (or an
  abbreviation git would expand to one); other global options (``-c``, ``--git-dir``,
  ``--config-env``, ``-p``, ...) are refused;
- ``sed -n Np FILE`` and ``sed -n M,Np FILE`` exactly, FILE not starting with ``-``;
- ``bash|sh|zsh -c|-lc SCRIPT`` when SCRIPT parses (``shell_parse``) into commands that are
  all known safe, nested at most two shells deep. A glob that may expand to an option
  (``*``, ``*.py``) is only accepted for the always-safe programs, whose options cannot write
  or run anything; a shell whose argument is a glob is refused.

Known safe must mean "cannot run a program the repository chose" (issue 12). ``cargo check``
is not on the list (v0.20 had it): it runs ``build.rs`` and proc macros. git reads program
names from repository config, so ``core/tools/shell.py`` runs a command that goes unasked
because it is known safe (1) with ``exec_env.known_safe_env``: over every config file, a
directory laid out as a bare repository is not used (``safe.bareRepository=explicit``: the
committed ``docs/config`` attack) and fsmonitor, hooks, pagers, signature programs and every
transport (ssh, remote helpers, credential helpers, askpass) are off; and (2) under the
read-only sandbox, also under ``danger-full-access`` (where this machine has a sandbox). What
no setting can switch off by name is refused by flag where a flag turns it on (``--ext-diff``,
``--textconv``); the rest (``diff.external``, attribute-named ``diff.<driver>.textconv`` and
``.command``, ``filter.<driver>.clean``, all set in a non-bare repository's own config) can
run only read-only and without network: it can read what ``cat`` can and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence

from pycodex.core.shell_parse import SimpleCommand, Unsupported, parse_script, shell_script

ALWAYS_SAFE = frozenset(
    {"cat", "cd", "echo", "false", "grep", "head", "ls", "nl", "pwd", "tail", "true", "wc", "which"}
)
FIND_UNSAFE = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf"}
)
RG_UNSAFE_LONG = ("--pre", "--hostname-bin", "--search-zip")
RG_UNSAFE_SHORT = "z"
# Options of status/log/diff/show/branch that write a file or run a program (Codex refuses the
# same five). git expands an unambiguous abbreviation, so prefixes count, but an exact option
# name wins over an abbreviation: ``--text`` is an option of its own, not ``--textconv``.
GIT_UNSAFE_LONG = ("--output", "--ext-diff", "--textconv", "--exec", "--paginate")
GIT_EXACT_SAFE = frozenset({"--text"})
GIT_BRANCH_SHORT = frozenset("arlvi")
GIT_BRANCH_FLAGS = frozenset(
    {
        "--all",
        "--remotes",
        "--list",
        "--verbose",
        "--show-current",
        "--ignore-case",
        "--color",
        "--no-color",
        "--column",
        "--no-column",
        "--no-abbrev",
        "--omit-empty",
        "--contains",
        "--no-contains",
        "--merged",
        "--no-merged",
        "--points-at",  # takes the next argument, but lists whatever it is
    }
)
GIT_BRANCH_VALUED = frozenset(
    {
        "--color",
        "--column",
        "--abbrev",
        "--sort",
        "--format",
        "--contains",
        "--no-contains",
        "--merged",
        "--no-merged",
        "--points-at",
    }
)
# With one of these, branch lists: positional arguments are patterns or commits, never names
# of branches to create.
GIT_BRANCH_LISTING = frozenset(
    {"--list", "--contains", "--no-contains", "--merged", "--no-merged", "--points-at"}
)
MAX_SHELL_DEPTH = 2
_DIGITS = frozenset("0123456789")


def is_known_safe(argv: Sequence[str]) -> bool:
    """Whether ``argv`` is read-only by the rules above (so it may run without asking)."""
    return _is_safe(tuple(argv), depth=0)


def _is_safe(argv: tuple[str, ...], depth: int) -> bool:
    if not argv:
        return False
    script = shell_script(argv)
    if script is not None:
        return depth < MAX_SHELL_DEPTH and _is_safe_script(script, depth + 1)
    return _is_safe_program(argv)


def _is_safe_script(script: str, depth: int) -> bool:
    try:
        commands = parse_script(script)
    except Unsupported:
        return False
    return all(_is_safe_command(command, depth) for command in commands)


def _is_safe_command(command: SimpleCommand, depth: int) -> bool:
    argv = command.argv
    if command.has_glob and shell_script(argv) is not None:
        return False  # the glob would choose the script
    if command.option_glob and argv[0] not in ALWAYS_SAFE:
        return False
    return _is_safe(argv, depth)


def _is_safe_program(argv: tuple[str, ...]) -> bool:
    program, args = argv[0], argv[1:]
    if program in ALWAYS_SAFE:
        return True
    if program == "find":
        return not any(arg in FIND_UNSAFE for arg in args)
    if program == "rg":
        return _rg_is_safe(args)
    if program == "git":
        return _git_is_read_only(args)
    if program == "sed":
        return _is_sed_print(args)
    return False


def _long_name(arg: str) -> str:
    return arg.split("=", 1)[0]


def _abbreviates(name: str, options: Sequence[str]) -> bool:
    """Whether ``name`` (``--x``) is one of ``options`` or a prefix a parser might expand."""
    return len(name) > 2 and any(option.startswith(name) for option in options)


def _rg_is_safe(args: tuple[str, ...]) -> bool:
    for arg in args:
        if arg == "--":
            return True  # the rest are patterns and paths
        if arg.startswith("--"):
            if _abbreviates(_long_name(arg), RG_UNSAFE_LONG):
                return False
        elif arg.startswith("-") and RG_UNSAFE_SHORT in arg[1:]:
            return False
    return True


def _git_is_read_only(args: tuple[str, ...]) -> bool:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "--no-pager":
            i += 1
        elif args[i] == "-C" and i + 1 < len(args):
            i += 2
        else:
            return False
    if i >= len(args):
        return False
    subcommand, rest = args[i], args[i + 1 :]
    if subcommand not in ("status", "log", "diff", "show", "branch"):
        return False
    if not _git_options_ok(rest):
        return False
    return subcommand != "branch" or _git_branch_lists(rest)


def _git_options_ok(args: tuple[str, ...]) -> bool:
    for arg in args:
        if arg == "--":
            return True
        name = _long_name(arg)
        unsafe = name not in GIT_EXACT_SAFE and _abbreviates(name, GIT_UNSAFE_LONG)
        if arg.startswith("--") and unsafe:
            return False
    return True


def _git_branch_lists(args: tuple[str, ...]) -> bool:
    """True for ``git branch`` forms that only list (no create, delete, move, copy, ...)."""
    listing = False
    positional = False
    for arg in args:
        if arg.startswith("--"):
            name, has_value = _long_name(arg), "=" in arg
            allowed = GIT_BRANCH_VALUED if has_value else GIT_BRANCH_FLAGS
            if name not in allowed:
                return False
            listing = listing or name in GIT_BRANCH_LISTING
        elif arg.startswith("-") and len(arg) > 1:
            letters = arg[1:]
            if not set(letters) <= GIT_BRANCH_SHORT:
                return False
            listing = listing or "l" in letters
        else:
            positional = True
    return listing or not positional


def _is_sed_print(args: tuple[str, ...]) -> bool:
    if len(args) != 3 or args[0] != "-n" or args[2].startswith("-"):
        return False
    script = args[1]
    if not script.endswith("p"):
        return False
    lines = script[:-1].split(",")
    return len(lines) <= 2 and all(line and set(line) <= _DIGITS for line in lines)
