"""What the interactive and the headless front ends both need before a session starts:
the `-i` images, the local model server (`--oss`, `--local-provider`), and which saved
session `resume` means. Errors are raised as ``CodexError`` (one line, via ``cli.run``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.protocol.errors import CodexError, UsageError


def read_images(args: argparse.Namespace) -> tuple[str, ...]:
    """The ``-i`` files as data URLs; an unreadable file or a non-image is a usage error."""
    from pycodex.core.images import NotAnImage, image_data_url

    urls: list[str] = []
    for raw in getattr(args, "images", None) or ():
        path = Path(raw)
        try:
            urls.append(image_data_url(path))
        except OSError as exc:
            raise UsageError(f"cannot read image {path}: {exc.strerror or exc}") from exc
        except NotAnImage as exc:
            raise UsageError(str(exc)) from exc
    return tuple(urls)


def resume_target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """``(session id, prompt)`` of ``resume [ID | --last] [PROMPT]``: with ``--last`` there is
    no ID, so the first positional (parsed as the ID) is the prompt."""
    session_id: str | None = args.session_id
    prompt: str | None = args.prompt
    if args.last:
        if session_id is not None and prompt is not None:
            raise UsageError("with --last, give at most one PROMPT (no session ID)")
        return None, prompt if prompt is not None else session_id
    return session_id, prompt


def find_resume_path(codex_home: Path, session_id: str | None) -> Path:
    """The saved session ``resume`` means: the one whose id starts with ``session_id``, or
    the latest (``--last``, ``session_id`` None). None found is a one-line error."""
    from pycodex.storage.rollout import find_latest_session, find_session

    if session_id is None:
        path = find_latest_session(codex_home)
        if path is None:
            raise CodexError(f"no saved session under {codex_home / 'sessions'}")
        return path
    path = find_session(codex_home, session_id)
    if path is None:
        raise CodexError(f"no saved session matches {session_id!r}")
    return path


def prepare_local_model(args: argparse.Namespace, config: Config, env: Mapping[str, str]) -> Config:
    """With ``--oss``/``--local-provider``: the server is up and has the model. Then the
    context window from Ollama when the provider asks for it (``probe_context_window``)."""
    if getattr(args, "oss", False) or getattr(args, "local_provider", None):
        ensure_local_model(config, env)
    return _with_local_context_window(config, env)


def _ensure_oss(base_url: str | None, model: str, env: Mapping[str, str]) -> None:
    """``--oss``: the Ollama server answers and has the model (pulled with progress)."""
    import asyncio

    from pycodex.models.ollama import PullProgress, PullProgressRenderer, ensure_oss_model

    renderer = PullProgressRenderer(model)
    line_open = False  # a \r progress line that still needs its newline

    def on_progress(progress: PullProgress) -> None:
        nonlocal line_open
        text = renderer.update(progress)
        if text:
            line_open = not text.endswith("\n")
            sys.stderr.write(text)
            sys.stderr.flush()

    try:
        asyncio.run(ensure_oss_model(base_url or "", model, on_progress, env=env))
    finally:
        if line_open:  # failed mid-pull: the error line starts on a line of its own
            sys.stderr.write("\n")


def ensure_local_model(config: Config, env: Mapping[str, str]) -> None:
    """``--oss`` / ``--local-provider``: the selected local server is up and has the model
    (Ollama: pulled with progress when missing; LM Studio: listed). For every front end."""
    if config.model_provider_id == "lmstudio":
        _ensure_lmstudio(config.model_provider.base_url, config.model, env)
    else:
        _ensure_oss(config.model_provider.base_url, config.model, env)


def _ensure_lmstudio(base_url: str | None, model: str, env: Mapping[str, str]) -> None:
    """``--oss --local-provider lmstudio``: LM Studio answers and lists the model."""
    import asyncio

    from pycodex.models.local import ensure_lmstudio_model

    asyncio.run(ensure_lmstudio_model(base_url or "", model, env=env))


def _with_local_context_window(config: Config, env: Mapping[str, str]) -> Config:
    """``model_context_window`` from Ollama when the provider asks (``probe_context_window``)."""
    if config.model_context_window is not None or not config.model_provider.probe_context_window:
        return config  # nothing to ask: no event loop, no network
    import asyncio

    from pycodex.models.local import with_probed_context_window

    return asyncio.run(with_probed_context_window(config, env))


LOCAL_PROVIDERS = ("oss", "lmstudio")


def local_model_lister(
    config: Config, env: Mapping[str, str]
) -> Callable[[], Awaitable[Sequence[str]]]:
    """For the TUI's ``/model``: the models a local server (``oss``, ``lmstudio``) lists at
    ``/v1/models``; nothing for other providers or when the server does not answer."""

    async def list_local_models() -> Sequence[str]:
        base_url = config.model_provider.base_url
        if config.model_provider_id not in LOCAL_PROVIDERS or not base_url:
            return ()
        from pycodex.models.local import list_models

        try:
            return await list_models(base_url, env=env)
        except CodexError:
            return ()

    return list_local_models
