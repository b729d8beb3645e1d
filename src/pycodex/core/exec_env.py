"""The environment a tool command sees: ``shell_environment_policy`` (reference §9.4).

A pure function of the policy and the parent environment, so every rule is a table test.
Order: inherit (all | core | none) → drop default secrets (``*KEY*``, ``*SECRET*``,
``*TOKEN*``, case-insensitive) unless ``ignore_default_excludes`` → drop ``exclude`` globs →
apply ``set`` → keep only ``include_only`` globs when given → mark a restricted network.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping

from pycodex.config.schema import ShellEnvironmentPolicy

CORE_VARS = frozenset(
    {"HOME", "LOGNAME", "PATH", "SHELL", "USER", "USERNAME", "TMPDIR", "TEMP", "TMP"}
)
DEFAULT_EXCLUDES = ("*KEY*", "*SECRET*", "*TOKEN*")


def _matches(name: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive glob match, as Codex does for every pattern list."""
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p.upper()) for p in patterns)


def create_env(policy: ShellEnvironmentPolicy, parent: Mapping[str, str]) -> dict[str, str]:
    """The environment for a spawned command under ``policy``. The sandbox adds
    ``CODEX_SANDBOX_NETWORK_DISABLED`` per command (``sandbox.launch.prepare_launch``)."""
    if policy.inherit == "all":
        env = dict(parent)
    elif policy.inherit == "core":
        env = {k: v for k, v in parent.items() if k in CORE_VARS}
    else:
        env = {}
    if not policy.ignore_default_excludes:
        env = {k: v for k, v in env.items() if not _matches(k, DEFAULT_EXCLUDES)}
    if policy.exclude:
        env = {k: v for k, v in env.items() if not _matches(k, policy.exclude)}
    env.update(policy.set)
    if policy.include_only:
        env = {k: v for k, v in env.items() if _matches(k, policy.include_only)}
    return env
