"""`codex exec [PROMPT]` and `codex exec resume [ID | --last] [PROMPT]`.

This module does what needs more than core, config and protocol before a headless run:
the prompt (argument and/or stdin), images, the git check, the local model (``--oss``),
finding a saved session. The run itself is ``pycodex.frontends.headless.run``.

Exit statuses: 0 success, 1 a failed turn, a startup failure or a final message that does
not match ``--output-schema``, 2 usage or config errors (a bad schema file too), 130
interrupted. Failures are raised as ``CodexError`` and printed as one line by
``pycodex.cli.run``.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from pycodex.cli.session_inputs import (
    find_resume_path,
    prepare_local_model,
    read_images,
    resume_target,
)
from pycodex.protocol.errors import EXIT_FAILURE, CodexError, UsageError
from pycodex.protocol.policy import AskForApproval

if TYPE_CHECKING:
    from pycodex.config.schema import Config
    from pycodex.frontends.headless.output_schema import OutputSchema

NOT_A_GIT_REPO = (
    "Not inside a git repository (a trusted directory); run in one or pass --skip-git-repo-check"
)


def _stdin_is_data(fd: int) -> bool:
    """True when stdin is a pipe or a file: something that will end, worth reading."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def resolve_prompt(
    arg: str | None, *, stdin: BinaryIO, stdin_is_tty: bool, stdin_is_data: bool, err: TextIO
) -> str:
    """The prompt: the argument; stdin when it is absent or ``-``; or both.

    With a prompt argument and piped (not a terminal) stdin, the piped text is appended as
    a ``<stdin>`` block, so ``git diff | codex exec "review this"`` works.
    """
    if arg is None or arg == "-":
        err.write("Reading prompt from stdin...\n")
        err.flush()
        text = stdin.read().decode("utf-8", errors="replace")
    else:
        text = arg
        if not stdin_is_tty and stdin_is_data:
            piped = stdin.read().decode("utf-8", errors="replace")
            if piped.strip():
                text = f"{arg}\n\n<stdin>\n{piped.rstrip(chr(10))}\n</stdin>"
    if not text.strip():
        raise UsageError("no prompt given: pass PROMPT, or pipe it on stdin (`-` reads stdin)")
    return text


def in_git_work_tree(cwd: Path) -> bool:
    """A ``.git`` directory or file (worktrees, submodules) in cwd or an ancestor."""
    return any((directory / ".git").exists() for directory in (cwd, *cwd.parents))


def _color(choice: str, env: Mapping[str, str]) -> bool:
    from pycodex.frontends.headless.human import use_color

    return use_color(choice, sys.stdout, env)


def _config(args: argparse.Namespace) -> Config:
    from pycodex.cli.common import config_from_args

    return config_from_args(args, forced_approval=AskForApproval.NEVER)


def _output_schema(args: argparse.Namespace) -> OutputSchema | None:
    """``--output-schema FILE``, read and checked before anything else runs (exit 2)."""
    path = getattr(args, "output_schema", None)
    if path is None:
        return None
    from pycodex.frontends.headless.output_schema import load_output_schema

    return load_output_schema(path)


def _run(
    args: argparse.Namespace,
    config: Config,
    *,
    resume_path: Path | None,
    prompt_arg: str | None,
    output_schema: OutputSchema | None,
) -> int:
    import asyncio

    from pycodex import __version__
    from pycodex.frontends.headless.run import ExecRequest, run_exec

    env = os.environ
    stdin = sys.stdin.buffer if sys.stdin is not None else open(os.devnull, "rb")  # noqa: SIM115
    prompt = resolve_prompt(
        prompt_arg,
        stdin=stdin,
        stdin_is_tty=sys.stdin is not None and sys.stdin.isatty(),
        stdin_is_data=_stdin_is_data(0),
        err=sys.stderr,
    )
    images = read_images(args)
    config = prepare_local_model(args, config, env)
    out_file = getattr(args, "output_last_message", None)
    req = ExecRequest(
        config=config,
        env=env,
        prompt=prompt,
        images=images,
        json_mode=bool(args.json),
        color=False if args.json else _color(args.color, env),
        output_last_message=Path(out_file) if out_file else None,
        resume_path=resume_path,
        ephemeral=bool(args.ephemeral),
        version=__version__,
        output_schema=output_schema,
    )
    try:
        return asyncio.run(run_exec(req, out=sys.stdout, err=sys.stderr))
    except BrokenPipeError:
        # The reader went away (`codex exec --json | head -1`): stop quietly. stdout is
        # pointed at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE


def _git_check(args: argparse.Namespace) -> None:
    if args.skip_git_repo_check:
        return
    cwd = Path(args.cwd).resolve() if getattr(args, "cwd", None) else Path.cwd()
    if not in_git_work_tree(cwd):
        raise CodexError(NOT_A_GIT_REPO)


def run_exec(args: argparse.Namespace) -> int:
    """`codex exec [PROMPT]`."""
    output_schema = _output_schema(args)
    _git_check(args)
    return _run(
        args, _config(args), resume_path=None, prompt_arg=args.prompt, output_schema=output_schema
    )


def run_exec_resume(args: argparse.Namespace) -> int:
    """`codex exec resume --last [PROMPT]` / `codex exec resume ID [PROMPT]`.

    With ``--last`` there is no ID, so the first positional (parsed as the ID) is the prompt.
    """
    output_schema = _output_schema(args)
    _git_check(args)
    session_id, prompt_arg = resume_target(args)
    if session_id is None and not args.last:
        raise UsageError("give a session ID or --last")
    config = _config(args)
    path = find_resume_path(config.codex_home, session_id)
    return _run(args, config, resume_path=path, prompt_arg=prompt_arg, output_schema=output_schema)
