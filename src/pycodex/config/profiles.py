"""The selected profile as a layer: ``[profiles.NAME]`` in config.toml, or the profile file
``$CODEX_HOME/NAME.config.toml`` of the current Codex.

A profile is chosen by ``--profile NAME``, else ``-c profile=NAME``, else ``profile = "NAME"``
in the file. A table ``[profiles.NAME]`` wins when both exist (it is what v0.20 reads); the
profile file is a whole config file of top-level settings. An unknown name is one error
that says where the name came from and which profiles exist.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pycodex.config.keys import describe
from pycodex.config.layers import Layer, Origin, find_origin, layer_from_values
from pycodex.config.toml_lines import KeyPath, dotted, key_lines, line_of, syntax_error
from pycodex.protocol.errors import ConfigError

CONFIG_FILE = "config.toml"
PROFILE_FILE_SUFFIX = ".config.toml"

DropUnknown = Callable[[Layer], None]


def config_text(data: bytes, name: str) -> str:
    """A config file's bytes as text; not UTF-8 is a ``ConfigError`` naming the line and byte.
    A leading BOM (editors on Windows add one) is dropped."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "invalid TOML",
            file=name,
            line=data[: exc.start].count(b"\n") + 1,
            expected="UTF-8 text",
            found=f"the byte 0x{data[exc.start]:02x}",
        ) from exc


def file_layer(text: str, name: str = CONFIG_FILE) -> Layer:
    """The values of a TOML config file, each with its ``name:line`` origin."""
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(exc, text, name) from exc
    lines = key_lines(text)

    def origin(path: KeyPath) -> Origin:
        line = line_of(lines, path)
        label = f"{name}:{line}" if line is not None else name
        return Origin(label, file=name, line=line, key=dotted(path))

    return layer_from_values(values, origin)


def profile_layer(root: Layer, flag: str | None, codex_home: Path, drop: DropUnknown) -> Layer:
    """The selected profile as a layer of top-level settings (empty: none selected)."""
    if flag is not None:
        name: Any = flag
        selected_by = Origin("flag --profile", file="flag --profile", key="profile")
    else:
        name = root.values.get("profile")
        if name is None:
            return Layer()
        selected_by = root.origins[("profile",)]
        if not isinstance(name, str):
            origin = find_origin(root.origins, ("profile",))
            raise ConfigError(
                "wrong type",
                file=origin.file if origin else None,
                line=origin.line if origin else None,
                key="profile",
                expected="a string",
                found=describe(name),
            )
    profiles = root.values.get("profiles", {})
    tables = profiles if isinstance(profiles, dict) else {}
    if isinstance(tables.get(name), dict):
        return _table_layer(root, name, tables[name])
    profile_file = _profile_file(codex_home, name)
    if profile_file is not None:
        layer = file_layer(_read(profile_file), profile_file.name)
        drop(layer)
        return layer
    known = sorted({*tables, *_profile_file_names(codex_home)})
    raise ConfigError(
        f"config profile `{name}` not found",
        file=selected_by.file or CONFIG_FILE,
        line=selected_by.line,
        key="profile",
        expected="one of " + ", ".join(known)
        if known
        else f"a [profiles.NAME] table or $CODEX_HOME/NAME{PROFILE_FILE_SUFFIX}",
        found=describe(name),
    )


def _table_layer(root: Layer, name: str, values: Mapping[str, Any]) -> Layer:
    layer = Layer(values=dict(values))
    for path, origin in root.origins.items():
        if path[:2] == ("profiles", name) and len(path) > 2:
            layer.origins[path[2:]] = Origin(
                f"profile {name} ({origin.label})", origin.file, origin.line, origin.key
            )
    return layer


def _profile_file(codex_home: Path, name: str) -> Path | None:
    """``NAME.config.toml`` in CODEX_HOME; a name with a path in it never leaves the folder."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = codex_home / f"{name}{PROFILE_FILE_SUFFIX}"
    return path if path.is_file() else None


def _profile_file_names(codex_home: Path) -> list[str]:
    try:
        entries = list(codex_home.glob(f"*{PROFILE_FILE_SUFFIX}"))
    except OSError:
        return []
    return [p.name.removesuffix(PROFILE_FILE_SUFFIX) for p in entries if p.is_file()]


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        found = (exc.strerror or str(exc)).lower()
        raise ConfigError(
            "cannot read the profile file", file=str(path), expected="a readable file", found=found
        ) from exc
    return config_text(data, path.name)
