"""Loading a config.toml written into a temporary CODEX_HOME, the way the CLI does."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pycodex.config.loader import LoadedConfig, load_config
from pycodex.config.overrides import CliOverrides


def load(
    home: Path,
    text: str | None = None,
    *,
    overrides: CliOverrides | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadedConfig:
    """Write ``text`` (when given) as ``home/config.toml`` and load it."""
    home.mkdir(parents=True, exist_ok=True)
    if text is not None:
        (home / "config.toml").write_text(text, encoding="utf-8")
    return load_config(
        codex_home=home,
        cwd=cwd or home,
        env=env or {},
        overrides=overrides or CliOverrides(),
    )


def flags(*overrides: str, **kwargs: object) -> CliOverrides:
    """``CliOverrides`` with ``-c`` strings positionally and flags as keywords."""
    return CliOverrides(config_overrides=overrides, **kwargs)  # type: ignore[arg-type]
