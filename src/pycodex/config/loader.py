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
   and ``-c profiles.NAME.key=...`` edits it.
5. ``$CODEX_HOME/config.toml`` (missing: nothing).
6. Built-in defaults (``schema.Config``), and the built-in providers ``openai``/``oss`` with
   ``OPENAI_BASE_URL``, ``CODEX_OSS_BASE_URL``, ``CODEX_OSS_PORT`` applied (``providers``).

Tables merge key by key across layers; any other value replaces. Unknown keys are dropped with
a warning (nearest known key suggested); everything else wrong is one ``ConfigError``.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pycodex.config.build import DEFAULT, build_config, effective_origins
from pycodex.config.keys import ROOT, check, describe, drop_unknown, unknown_key_message
from pycodex.config.layers import (
    Layer,
    Origin,
    find_origin,
    layer_from_values,
    merge_layers,
    same_origin,
    walk,
)
from pycodex.config.overrides import CliOverrides, parse_override
from pycodex.config.providers import builtin_layer
from pycodex.config.schema import LOCAL_DEFAULT_MODELS, LOCAL_PROVIDERS, Config
from pycodex.config.toml_lines import KeyPath, dotted, key_lines, line_of, syntax_error
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import AskForApproval, SandboxMode

CONFIG_FILE = "config.toml"
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
    file_layer = _file_layer(text or "")
    _drop_unknown(file_layer, warnings)
    cli_layer = merge_layers([_override_layer(raw, warnings) for raw in overrides.config_overrides])
    root = merge_layers([file_layer, cli_layer])
    profile_layer = _profile_layer(root, overrides.profile)
    merged = merge_layers(
        [builtin_layer(env), file_layer, profile_layer, cli_layer, _flags_layer(overrides)]
    )

    # Every source is checked on its own first, so a bad value is reported even where a
    # stronger layer hides it (`exec -c approval_policy=bogus` must not pass silently).
    for layer in (file_layer, profile_layer, cli_layer):
        check(layer.values, ROOT, (), _fail_in(layer))
    checked = check(merged.values, ROOT, (), _fail_in(merged))
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
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # editors on Windows add a BOM
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "invalid TOML",
            file=CONFIG_FILE,
            line=data[: exc.start].count(b"\n") + 1,
            expected="UTF-8 text",
            found=f"the byte 0x{data[exc.start]:02x}",
        ) from exc


def _home_error(codex_home: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        "cannot read CODEX_HOME",
        file=str(codex_home),
        key="CODEX_HOME",
        expected="a readable directory",
        found=(exc.strerror or str(exc)).lower(),
    )


def _file_layer(text: str) -> Layer:
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(exc, text, CONFIG_FILE) from exc
    lines = key_lines(text)

    def origin(path: KeyPath) -> Origin:
        line = line_of(lines, path)
        label = f"{CONFIG_FILE}:{line}" if line is not None else CONFIG_FILE
        return Origin(label, file=CONFIG_FILE, line=line, key=dotted(path))

    return layer_from_values(values, origin)


def _drop_unknown(layer: Layer, warnings: dict[str, str]) -> None:
    for unknown in drop_unknown(layer.values):
        origin = find_origin(layer.origins, unknown.path)
        where = f"{origin.label}: " if origin is not None else ""
        warnings.setdefault(dotted(unknown.path), where + unknown_key_message(unknown))


def _override_layer(raw: str, warnings: dict[str, str]) -> Layer:
    override = parse_override(raw)
    shown = f"-c {raw}"
    table = override.as_table()
    if any(_SECRET_PART.search(part) for path in walk(table) for part in path):
        shown = f"-c {dotted(override.path)}=…"  # the value may be a credential
    layer = same_origin(table, Origin(shown, file=shown))
    _drop_unknown(layer, warnings)
    return layer


def _profile_layer(root: Layer, flag: str | None) -> Layer:
    """The selected profile as a layer of top-level settings."""
    if flag is not None:
        name: Any = flag
        selected_by = Origin("flag --profile", key="profile")
    else:
        name = root.values.get("profile")
        if name is None:
            return Layer()
        selected_by = root.origins[("profile",)]
        if not isinstance(name, str):
            raise _located(root.origins, ("profile",), "wrong type", "a string", describe(name))
    profiles = root.values.get("profiles", {})
    if not isinstance(profiles, dict) or not isinstance(profiles.get(name), dict):
        known = sorted(profiles) if isinstance(profiles, dict) else []
        raise ConfigError(
            f"config profile `{name}` not found",
            file=selected_by.file or CONFIG_FILE,
            line=selected_by.line,
            key="profile",
            expected="one of " + ", ".join(known) if known else "a [profiles.NAME] table",
            found=describe(name),
        )
    layer = Layer(values=profiles[name])
    for path, origin in root.origins.items():
        if path[:2] == ("profiles", name) and len(path) > 2:
            layer.origins[path[2:]] = Origin(
                f"profile {name} ({origin.label})", origin.file, origin.line, origin.key
            )
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
    origins: Mapping[KeyPath, Origin], path: KeyPath, message: str, expected: str, found: str
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
    )
