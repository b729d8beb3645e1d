"""The environment of a stdio MCP server: a short list of harmless variables from ours,
then the server's own ``env`` table on top.

Not the whole parent environment: a coding agent's environment is full of API keys and
tokens, and an MCP server is third-party code that needs none of them unless the user
says so: ``[mcp_servers.NAME] env`` sets values, ``env_vars`` names more of our variables to
pass on as they are (current Codex's spelling; a named secret is passed because the user
named it).

This is stricter than the default rules for commands (``core/exec_env.py``, issue 12): none
of these names matches ``*KEY*``, ``*SECRET*``, ``*TOKEN*``, ``*PASSWORD*``, ``*PASSWD*`` or
``*CREDENTIAL*``, none names a provider's ``env_key``, and none holds a URL, so a proxy or
database URL with credentials never reaches a server (proxies are not inherited at all: a
server that needs one gets it in its ``env``). ``ignore_default_excludes`` does not apply here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SAFE_VARIABLES = (
    # where things are, who and what we are
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "TMPDIR",
    "TEMP",
    "TMP",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    # text
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    # TLS trust stores (paths, not secrets)
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    # Windows essentials
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "APPDATA",
    "LOCALAPPDATA",
    "USERPROFILE",
    "PROGRAMDATA",
)


def server_environment(
    parent: Mapping[str, str], extra: Mapping[str, str], forward: Iterable[str] = ()
) -> dict[str, str]:
    """``SAFE_VARIABLES`` present in ``parent`` (shell functions skipped), then the
    ``forward`` names present in ``parent``, then ``extra``."""
    env = {
        key: parent[key]
        for key in SAFE_VARIABLES
        if key in parent and not parent[key].startswith("()")
    }
    env.update({key: parent[key] for key in forward if key in parent})
    env.update(extra)
    return env
