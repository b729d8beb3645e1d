"""`codex [PROMPT]` and `codex resume [ID | --last]`: the interactive session.

This module does what needs more than the TUI may import: config from the command line,
``--oss`` (the Ollama check and pull, before the screen opens), images, finding a saved
session, and the ``TuiServices`` built from core (prompt history, session replay). After
the app exits, the transcript is printed so it stays in the terminal's scrollback;
``--no-alt-screen`` draws the app inline, below what the terminal already showed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.protocol.errors import CodexError

_POLICY_KEYS = ("approval_policy", "sandbox_mode")

if TYPE_CHECKING:
    from pycodex.config.loader import LoadedConfig
    from pycodex.config.schema import Config
    from pycodex.frontends.tui.options import TuiServices


def _services(config: Config) -> TuiServices:
    """The TUI's services, from core (``SessionStore``: history, sessions, trust)."""
    from pycodex.cli.session_inputs import local_model_lister
    from pycodex.core.services.sessions import SessionStore
    from pycodex.frontends.tui.options import TuiServices

    def warn(message: str) -> None:  # the session goes on; the question comes again
        sys.stderr.write(f"warning: {message}\n")

    store = SessionStore(config, warn=warn)
    return TuiServices(
        load_history=store.load_history,
        append_history=store.append_history,
        replay=store.replay,  # messages, commands and patches
        list_sessions=store.list_sessions,
        set_trust=store.set_trust,
        list_models=local_model_lister(config, os.environ),
    )


def _apply_trust(loaded: LoadedConfig) -> tuple[Config, bool]:
    """The config with a trusted directory's policies, and whether to ask about trust.

    Only when neither approval nor sandbox was chosen (flag, ``-c``, profile or file): a
    trusted directory runs ``on-request`` in ``workspace-write``; an unknown one asks.
    """
    from dataclasses import replace

    from pycodex.protocol.policy import AskForApproval, SandboxMode

    config = loaded.config
    chosen = any(loaded.origins.get(k, "default") != "default" for k in _POLICY_KEYS)
    entry = config.projects.get(str(config.cwd.resolve()))
    level = entry.trust_level if entry is not None else None
    if chosen:
        return config, False
    if level is None:
        return config, True
    if level == "trusted":
        config = replace(
            config,
            approval_policy=AskForApproval.ON_REQUEST,
            sandbox_mode=SandboxMode.WORKSPACE_WRITE,
        )
    return config, False


def _launch(
    args: argparse.Namespace,
    loaded: LoadedConfig,
    *,
    resume_path: Path | None = None,
    pick_session: bool = False,
    prompt: str | None = None,
) -> int:
    from pycodex import __version__
    from pycodex.cli.session_inputs import prepare_local_model, read_images

    config, ask_trust = _apply_trust(loaded)
    config = prepare_local_model(args, config, os.environ)
    images = read_images(args)
    from pycodex.frontends.tui.app import CodexApp
    from pycodex.frontends.tui.options import TuiOptions

    options = TuiOptions(
        config=config,
        env=os.environ,
        prompt=prompt,
        images=images,
        resume_path=resume_path,
        pick_session=pick_session,
        ask_trust=ask_trust,
        services=_services(config),
        version=__version__,
    )
    app = CodexApp(options)
    inline = bool(getattr(args, "no_alt_screen", False))
    try:
        result = app.run(inline=inline)
    finally:  # also after a crash: Textual has restored the terminal by now
        _print_transcript(app.transcript_text(), config)
    return result if isinstance(result, int) else 0


def _print_transcript(text: str, config: Config) -> None:
    """The session's text into the scrollback (citations as OSC-8 links on a terminal)."""
    if not text:
        return
    if sys.stdout.isatty():
        from pycodex.frontends.tui.citations import linkify_terminal

        text = linkify_terminal(text, config.cwd, config.file_opener)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


NO_TERMINAL = (
    "the interactive session needs a terminal on stdin and stdout; "
    "for a non-interactive run use `codex exec`"
)


def _require_terminal() -> None:
    """Without a terminal the screen would wait forever for keys nobody can type."""
    for stream in (sys.stdin, sys.stdout):
        if stream is None or not stream.isatty():
            raise CodexError(NO_TERMINAL)


def run_tui(args: argparse.Namespace) -> int:
    """`codex [PROMPT]`."""
    from pycodex.cli.common import load_from_args

    _require_terminal()

    return _launch(args, load_from_args(args), prompt=args.prompt)


def run_resume(args: argparse.Namespace) -> int:
    """`codex resume [ID | --last] [PROMPT]`; neither: the session picker."""
    from pycodex.cli.common import load_from_args
    from pycodex.cli.session_inputs import find_resume_path, resume_target

    session_id, prompt = resume_target(args)
    loaded = load_from_args(args)
    if session_id is None and not args.last:
        _require_terminal()
        return _launch(args, loaded, pick_session=True, prompt=prompt)
    path = find_resume_path(loaded.config.codex_home, session_id)  # none: said first
    _require_terminal()
    return _launch(args, loaded, resume_path=path, prompt=prompt)
