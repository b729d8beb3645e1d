"""Load the effective configuration: read, layer, check, build.

Precedence, highest first (SPEC §2):

1. ``forced_approval_policy`` (``codex exec`` forces ``approval_policy = never``).
2. Dedicated flags: ``-m``, ``-s``, ``-a``, ``--oss``, ``--full-auto``,
   ``--dangerously-bypass-approvals-and-sandbox``, ``-p`` (as ``profile``), ``-C`` (cwd).
   Among them ``--dangerously-bypass…`` beats ``-s``/``-a``, which beat ``--full-auto``.
   ``--oss`` means ``model_provider = "oss"`` and ``model = "gpt-oss:20b"``
   (``--local-provider lmstudio``: provider ``lmstudio``, model ``openai/gpt-oss-20b``;
   ``--local-provider ollama`` = ``--oss``; either implies ``--oss``); only ``-m``
   beats that model (a ``model`` in the file, a profile or ``-c`` was chosen for another
   provider, so ``codex --oss`` alone always gives gpt-oss:20b, as in Codex).
3. ``-c key=value`` overrides, in command-line order (v0.20 let a profile beat them; the
   seed documentation says the command line wins, and so do we).
4. The selected profile ``[profiles.NAME]`` -- ``--profile``, else ``-c profile=NAME``, else
   ``profile = "NAME"`` in the file. It may set any top-level setting (``sandbox_mode`` too),
   and ``-c profiles.NAME.key=...`` edits it. Without that table, the current Codex's profile
   file ``$CODEX_HOME/NAME.config.toml`` is the profile (``profiles``).
5. ``$CODEX_HOME/config.toml`` (missing: nothing).
6. Built-in defaults (``schema.Config``), and the built-in providers ``openai``/``oss`` with
   ``OPENAI_BASE_URL``, ``CODEX_OSS_BASE_URL``, ``CODEX_OSS_PORT`` applied (``providers``).

Tables merge key by key across layers; any other value replaces. Unknown keys are dropped with
a warning (a known key suggested only when it is a likely typo; keys of newer Codex versions
are named as such), except in the security tables ``sandbox_workspace_write`` and
``shell_environment_policy``, where an unknown key is a ``ConfigError``. An unknown value of a
non-security enum (``model_reasoning_effort = "xhigh"``) is a warning and is sent as written.
A bad value that a stronger layer overrides is a warning (it has no effect); everything else
wrong is one ``ConfigError``.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pycodex.config.build import DEFAULT, build_config, effective_origins
from pycodex.config.keys import (
    ROOT,
    STRICT_KEY_HINT,
    check,
    drop_unknown,
    unknown_key_message,
)
from pycodex.config.layers import (
    Layer,
    Origin,
    find_origin,
    merge_layers,
    same_origin,
    walk,
)
from pycodex.config.overrides import CliOverrides, parse_override
from pycodex.config.profiles import CONFIG_FILE, config_text
from pycodex.config.profiles import file_layer as read_file_layer
from pycodex.config.profiles import profile_layer as select_profile
from pycodex.config.providers import builtin_layer
from pycodex.config.schema import LOCAL_DEFAULT_MODELS, LOCAL_PROVIDERS, Config
from pycodex.config.toml_lines import KeyPath, dotted
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import AskForApproval, SandboxMode

_SECRET_PART = re.compile(r"http_headers|^env$|^set$|query_params|key|secret|token|passw", re.I)


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    origins: dict[str, str]  # "model" -> "config.toml:3" | "default" | "-c model=o3" | ...
    warnings: tuple[str, ...]  # unknown keys etc.; printed once by the CLI
    config_file: Path | None = None  # the config.toml that was read (None: there was none)


def codex_home_from_env(env: Mapping[str, str]) -> Path:
    """``$CODEX_HOME`` (``~`` expanded, made absolute), else ``~/.codex``."""
    value = env.get("CODEX_HOME", "").strip()
    if value:
        return Path(value).expanduser().absolute()
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".codex"


def load_config(
    *, codex_home: Path, cwd: Path, env: Mapping[str, str], overrides: CliOverrides
) -> LoadedConfig:
    """The effective configuration; raises ``ConfigError`` (see the module docstring)."""
    warnings: dict[str, str] = {}
    config_file = codex_home / CONFIG_FILE
    text = _read_config_text(codex_home, config_file)
    file_layer = read_file_layer(text or "")
    _drop_unknown(file_layer, warnings)
    cli_layer = merge_layers([_override_layer(raw, warnings) for raw in overrides.config_overrides])
    root = merge_layers([file_layer, cli_layer])
    profile_layer = select_profile(
        root, overrides.profile, codex_home, lambda layer: _drop_unknown(layer, warnings)
    )
    merged = merge_layers(
        [builtin_layer(env), file_layer, profile_layer, cli_layer, _flags_layer(overrides)]
    )

    # Every source is checked on its own first, so a bad value is reported even where a
    # stronger layer hides it (`exec -c approval_policy=bogus` must not pass silently): as an
    # error where it takes effect, as a warning where a stronger layer overrides it.
    selected = _selected_profile(root, overrides.profile)
    for layer in (file_layer, profile_layer, cli_layer):
        _check_layer(layer, merged, selected, warnings)
    merged = merge_layers(  # again: the overridden bad values are gone from their layers
        [builtin_layer(env), file_layer, profile_layer, cli_layer, _flags_layer(overrides)]
    )
    checked = check(merged.values, ROOT, (), _fail_in(merged), _warn_in(merged, None, warnings))
    session_cwd = _session_cwd(cwd, overrides.cwd)
    config = build_config(
        checked,
        merged.origins,
        codex_home=codex_home,
        cwd=session_cwd,
        env=env,
        fail=_fail_in(merged),
    )
    origins = effective_origins(checked, merged.origins, config)
    origins["cwd"] = "flag --cd" if overrides.cwd is not None else "current directory"
    origins["codex_home"] = "env CODEX_HOME" if env.get("CODEX_HOME", "").strip() else DEFAULT
    return LoadedConfig(
        config=config,
        origins=origins,
        warnings=tuple(warnings.values()),
        config_file=config_file if text is not None else None,
    )


def _read_config_text(codex_home: Path, config_file: Path) -> str | None:
    """The text of config.toml; None when there is none. Unreadable -> ConfigError."""
    try:
        home_is_dir = stat.S_ISDIR(codex_home.stat().st_mode)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _home_error(codex_home, exc) from exc
    if not home_is_dir:
        raise ConfigError(
            "cannot use CODEX_HOME",
            file=str(codex_home),
            key="CODEX_HOME",
            expected="a directory",
            found="a file",
        )
    try:
        data = config_file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if not os.access(codex_home, os.R_OK | os.X_OK):
            raise _home_error(codex_home, exc) from exc
        found = "a directory" if config_file.is_dir() else (exc.strerror or str(exc)).lower()
        raise ConfigError(
            f"cannot read {CONFIG_FILE}",
            file=str(config_file),
            expected="a readable file",
            found=found,
        ) from exc
    return config_text(data, CONFIG_FILE)


def _home_error(codex_home: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        "cannot read CODEX_HOME",
        file=str(codex_home),
        key="CODEX_HOME",
        expected="a readable directory",
        found=(exc.strerror or str(exc)).lower(),
    )


def _drop_unknown(layer: Layer, warnings: dict[str, str]) -> None:
    for unknown in drop_unknown(layer.values):
        origin = find_origin(layer.origins, unknown.path)
        if unknown.strict:
            raise _located(
                layer.origins,
                unknown.path,
                f"unknown key in [{dotted(unknown.path[:-1])}]",
                "one of " + ", ".join(unknown.known),
                f"`{unknown.path[-1]}`",
                hint=STRICT_KEY_HINT,
            )
        where = f"{origin.label}: " if origin is not None else ""
        warnings.setdefault(dotted(unknown.path), where + unknown_key_message(unknown))


class _LayerFailure(Exception):
    """A bad value in one layer, before we know whether a stronger layer overrides it."""

    def __init__(self, path: KeyPath, error: ConfigError) -> None:
        super().__init__(str(error))
        self.path = path
        self.error = error


def _selected_profile(root: Layer, flag: str | None) -> str | None:
    name = flag if flag is not None else root.values.get("profile")
    return name if isinstance(name, str) else None


def _effective_path(path: KeyPath, selected: str | None) -> KeyPath:
    """Where a value of a layer lands in the merged config (a selected profile's keys: top)."""
    if selected is not None and path[:2] == ("profiles", selected) and len(path) > 2:
        return path[2:]
    return path


def _overriding(layer: Layer, merged: Layer, path: KeyPath, selected: str | None) -> Origin | None:
    """The origin of the stronger value that replaces ``path`` of ``layer``, if one does."""
    own = find_origin(layer.origins, path)
    winner = find_origin(merged.origins, _effective_path(path, selected))
    if own is None or winner is None:
        return None
    return winner if (winner.file, winner.line) != (own.file, own.line) else None


def _check_layer(
    layer: Layer, merged: Layer, selected: str | None, warnings: dict[str, str]
) -> None:
    """Check one source; a bad value a stronger layer overrides becomes a warning."""

    def fail(path: KeyPath, message: str, expected: str, found: str) -> NoReturn:
        raise _LayerFailure(path, _located(layer.origins, path, message, expected, found))

    warn = _warn_in(layer, (merged, selected), warnings)
    while True:
        try:
            check(layer.values, ROOT, (), fail, warn)
        except _LayerFailure as failure:
            winner = _overriding(layer, merged, failure.path, selected)
            if winner is None:
                raise failure.error from None
            text = f"{failure.error}; overridden by {winner.label}, so ignored"
            warnings.setdefault("override:" + text, text)
            _delete(layer.values, failure.path)
            continue
        return


def _delete(values: dict[str, Any], path: KeyPath) -> None:
    node: Any = values
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


def _warn_in(
    layer: Layer, against: tuple[Layer, str | None] | None, warnings: dict[str, str]
) -> Callable[[KeyPath, str], None]:
    """Record a value warning once, located at its origin (and its overrider, if any)."""

    def warn(path: KeyPath, message: str) -> None:
        origin = find_origin(layer.origins, path)
        text = (f"{origin.label}: " if origin is not None else "") + message
        if against is not None:
            winner = _overriding(layer, against[0], path, against[1])
            if winner is not None:
                text = text.partition(";")[0] + f"; overridden by {winner.label}, so ignored"
        # one warning per written value, whichever layers (file, its profile) it is seen in
        spot = f"{origin.file}:{origin.line}:{path[-1]}" if origin is not None else text
        warnings.setdefault("value:" + spot, text)

    return warn


def _override_layer(raw: str, warnings: dict[str, str]) -> Layer:
    override = parse_override(raw)
    shown = f"-c {raw}"
    table = override.as_table()
    if any(_SECRET_PART.search(part) for path in walk(table) for part in path):
        shown = f"-c {dotted(override.path)}=…"  # the value may be a credential
    layer = same_origin(table, Origin(shown, file=shown))
    _drop_unknown(layer, warnings)
    return layer


def _flags_layer(o: CliOverrides) -> Layer:
    """The dedicated flags, merged in their own order of strength (weakest first)."""
    parts: list[Layer] = []

    def flag(name: str, **values: Any) -> None:
        parts.append(same_origin(values, Origin(f"flag {name}", file=f"flag {name}")))

    if o.profile is not None:
        flag("--profile", profile=o.profile)
    if o.full_auto:
        flag(
            "--full-auto",
            approval_policy=AskForApproval.ON_FAILURE.value,
            sandbox_mode=SandboxMode.WORKSPACE_WRITE.value,
        )
    if o.sandbox_mode is not None:
        flag("--sandbox", sandbox_mode=SandboxMode(o.sandbox_mode).value)
    if o.approval_policy is not None:
        flag("--ask-for-approval", approval_policy=AskForApproval(o.approval_policy).value)
    if o.dangerously_bypass_approvals_and_sandbox:
        flag(
            "--dangerously-bypass-approvals-and-sandbox",
            approval_policy=AskForApproval.NEVER.value,
            sandbox_mode=SandboxMode.DANGER_FULL_ACCESS.value,
        )
    if o.oss or o.local_provider is not None:
        provider = LOCAL_PROVIDERS.get(o.local_provider or "ollama", "oss")
        name = "--local-provider" if o.local_provider is not None else "--oss"
        flag(name, model_provider=provider, model=LOCAL_DEFAULT_MODELS[provider])
    if o.model is not None:
        flag("--model", model=o.model)
    if o.forced_approval_policy is not None:
        forced = Origin("forced by this command", file="this command")
        parts.append(
            same_origin({"approval_policy": AskForApproval(o.forced_approval_policy).value}, forced)
        )
    return merge_layers(parts)


def _fail_in(layer: Layer) -> Callable[[KeyPath, str, str, str], NoReturn]:
    def fail(path: KeyPath, message: str, expected: str, found: str) -> NoReturn:
        raise _located(layer.origins, path, message, expected, found)

    return fail


def _session_cwd(cwd: Path, flag: Path | None) -> Path:
    if flag is None:
        return cwd
    path = (cwd / flag.expanduser()).resolve()
    if not path.is_dir():
        raise ConfigError(
            "not a directory",
            file="flag --cd",
            key="cwd",
            expected="an existing directory",
            found=f'"{flag}"',
        )
    return path


def _located(
    origins: Mapping[KeyPath, Origin],
    path: KeyPath,
    message: str,
    expected: str,
    found: str,
    *,
    hint: str | None = None,
) -> ConfigError:
    origin = find_origin(origins, path)
    exact = origins.get(path)
    key = exact.key if exact is not None and exact.key else dotted(path)
    return ConfigError(
        message,
        file=origin.file if origin is not None else None,
        line=origin.line if origin is not None else None,
        key=key,
        expected=expected,
        found=found,
        hint=hint,
    )
