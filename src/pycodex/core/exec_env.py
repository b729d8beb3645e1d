"""The environment a tool command sees: ``shell_environment_policy`` (reference §9.4).

Pure functions of the policy and the parent environment, so every rule is a table test.
Order: inherit (all | core | none) → drop default secrets unless ``ignore_default_excludes``
→ drop ``exclude`` globs → apply ``set`` → keep only ``include_only`` globs when given.

The default secrets (``ignore_default_excludes = true`` keeps them all):

- names matching ``*KEY*``, ``*SECRET*``, ``*TOKEN*`` (v0.20's list), ``*PASSWORD*``,
  ``*PASSWD*``, ``*CREDENTIAL*``, case-insensitive;
- the variables the configuration says hold credentials, whatever their names
  (``env_key = "OPENROUTER"``): every provider's ``env_key`` and ``env_http_headers``
  variables, every MCP server's ``bearer_token_env_var`` (``config_secret_names``);
- URL userinfo (``https://user:pass@proxy:8080``, ``postgres://u:secret@db/x``,
  ``https://TOKEN@host``): the ``user:pass@`` part is cut out and the rest kept, so a proxy or
  a private package index stays the one configured (a command fails to authenticate instead
  of silently going direct, or to the public index). Where the userinfo cannot be told apart
  from the path (an ``@`` after a ``/``: a path, or a password with a ``/`` in it) the whole
  variable is dropped. A ``*PROXY*`` value without a scheme (``user:pass@proxy:8080``, which
  curl accepts) is read as an authority.

``known_safe_env`` is the environment of a command that runs without asking because it is
known safe (``command_safety``): git's program-running settings neutralised.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from pycodex.config.schema import ShellEnvironmentPolicy

if TYPE_CHECKING:
    from pycodex.config.schema import Config

CORE_VARS = frozenset(
    {"HOME", "LOGNAME", "PATH", "SHELL", "USER", "USERNAME", "TMPDIR", "TEMP", "TMP"}
)
DEFAULT_EXCLUDES = ("*KEY*", "*SECRET*", "*TOKEN*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*")
_PROXY_NAMES = ("*PROXY*",)
# scheme://authority-with-userinfo@ ; the authority ends at the first / ? # or blank, so the
# greedy run stops at the last @ inside it.
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s]*@")
_URL_AT_LATER = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*@")

# git settings that run a program, fixed for known-safe commands through GIT_CONFIG_COUNT
# (the "command line" scope: it outranks every config file, including the repository's).
# Values that do nothing: git never runs them.
GIT_NEUTRAL_CONFIG = (
    # a directory laid out as a bare repository (HEAD, objects/, refs/, config) is not
    # used unless named with --git-dir: its config could set anything below and more
    ("safe.bareRepository", "explicit"),
    ("core.fsmonitor", "false"),  # runs a program at every index refresh (status, diff)
    ("core.hooksPath", "/dev/null"),  # no hook is found (status may run post-index-change)
    ("core.pager", "cat"),
    ("log.showSignature", "false"),
    # signature checks (--show-signature, %G? formats, pretty.<name> aliases) run these
    ("gpg.program", "/dev/null"),
    ("gpg.openpgp.program", "/dev/null"),
    ("gpg.x509.program", "/dev/null"),
    ("gpg.ssh.program", "/dev/null"),
    # no transport at all: a partial clone's lazy fetch would start ssh (core.sshCommand),
    # a remote helper (remote.*.vcs, ext::), core.gitProxy, credential helpers, askpass
    ("protocol.allow", "never"),
    ("credential.helper", ""),  # an empty value clears the list
    ("core.askPass", ""),
)
# Environment variables that make git (or a program it starts) run something, or that would
# outrank the settings above (GIT_CONFIG_PARAMETERS comes after GIT_CONFIG_COUNT).
GIT_PROGRAM_VARS = frozenset(
    {
        "GIT_CONFIG_PARAMETERS",
        "GIT_EXTERNAL_DIFF",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_PROXY_COMMAND",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
        "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR",
    }
)
# GIT_PAGER outranks core.pager and every pager.<command> setting.
PAGER_VARS = {"GIT_PAGER": "cat", "PAGER": "cat"}
_MAX_USER_CONFIG = 1000  # more GIT_CONFIG_COUNT entries than this in the user's env: dropped


def _matches(name: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive glob match, as Codex does for every pattern list."""
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p.upper()) for p in patterns)


def config_secret_names(config: Config) -> frozenset[str]:
    """The variables ``config`` says hold credentials: providers' ``env_key`` and
    ``env_http_headers`` variables, MCP servers' ``bearer_token_env_var`` and
    ``env_http_headers`` variables."""
    names: set[str] = set()
    for provider in (config.model_provider, *config.model_providers.values()):
        if provider.env_key:
            names.add(provider.env_key)
        names.update(provider.env_http_headers.values())
    for server in config.mcp_servers.values():
        if server.bearer_token_env_var:
            names.add(server.bearer_token_env_var)
        names.update(server.env_http_headers.values())
    return frozenset(names)


def strip_userinfo(name: str, value: str) -> str | None:
    """``value`` without URL userinfo; None when it cannot be cut out cleanly (drop it)."""
    stripped = _URL_USERINFO.sub(r"\1", value)
    if _URL_AT_LATER.search(stripped):
        return None  # an @ after a / : a path, or a password with a / in it
    if "://" not in stripped and "@" in stripped and _matches(name, _PROXY_NAMES):
        stripped = stripped.rsplit("@", 1)[1]
    return stripped


def drop_default_secrets(
    env: Mapping[str, str], secret_names: Collection[str] = ()
) -> dict[str, str]:
    """``env`` without the default secrets (module docstring)."""
    named = {n.upper() for n in secret_names}
    out: dict[str, str] = {}
    for key, value in env.items():
        if key.upper() in named or _matches(key, DEFAULT_EXCLUDES):
            continue
        clean = strip_userinfo(key, value)
        if clean is not None:
            out[key] = clean
    return out


def create_env(
    policy: ShellEnvironmentPolicy,
    parent: Mapping[str, str],
    *,
    secret_names: Collection[str] = (),
) -> dict[str, str]:
    """The environment for a spawned command under ``policy``; ``secret_names`` are dropped
    with the default secrets (``config_secret_names``). The sandbox adds
    ``CODEX_SANDBOX_NETWORK_DISABLED`` per command (``sandbox.launch.prepare_launch``)."""
    if policy.inherit == "all":
        env = dict(parent)
    elif policy.inherit == "core":
        env = {k: v for k, v in parent.items() if k in CORE_VARS}
    else:
        env = {}
    if not policy.ignore_default_excludes:
        env = drop_default_secrets(env, secret_names)
    if policy.exclude:
        env = {k: v for k, v in env.items() if not _matches(k, policy.exclude)}
    env.update(policy.set)
    if policy.include_only:
        env = {k: v for k, v in env.items() if _matches(k, policy.include_only)}
    return env


def known_safe_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a command run without asking because it is known safe: git (and every
    git it starts) runs with the settings in ``GIT_NEUTRAL_CONFIG`` over every config file,
    no pager, no external diff from the environment, no ssh/askpass/editor programs.

    The user's own ``GIT_CONFIG_COUNT`` entries (CI sets ``safe.directory`` that way) are
    kept, ours follow them: for the same key the later entry wins."""
    out = {
        k: v
        for k, v in env.items()
        if k not in GIT_PROGRAM_VARS and not k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }
    out.update(PAGER_VARS)
    count = env.get("GIT_CONFIG_COUNT", "")
    kept = int(count) if count.isdigit() and int(count) <= _MAX_USER_CONFIG else 0
    for i in range(kept):
        if f"GIT_CONFIG_KEY_{i}" not in env:
            kept = 0  # git would refuse the whole set: so do we
            break
    for i in range(kept):
        out[f"GIT_CONFIG_KEY_{i}"] = env[f"GIT_CONFIG_KEY_{i}"]
        out[f"GIT_CONFIG_VALUE_{i}"] = env.get(f"GIT_CONFIG_VALUE_{i}", "")
    for i, (key, value) in enumerate(GIT_NEUTRAL_CONFIG, start=kept):
        out[f"GIT_CONFIG_KEY_{i}"] = key
        out[f"GIT_CONFIG_VALUE_{i}"] = value
    out["GIT_CONFIG_COUNT"] = str(kept + len(GIT_NEUTRAL_CONFIG))
    return out
