"""The argument grammar of `codex` (SPEC §1) and the lazy dispatch table.

Global options are accepted before and after the subcommand name. Each subcommand names
its handler as ``"module:function"``; the module is imported only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from pycodex import VERSION_LINE
from pycodex.cli.words import check_exec_word, check_help_topic, check_prompt_word
from pycodex.protocol.errors import UsageError

SANDBOX_CHOICES = ("read-only", "workspace-write", "danger-full-access")
EXEC_EPILOG = (
    "Continue a saved session headless: `codex exec resume [SESSION_ID | --last] [PROMPT]` "
    "(see `codex exec resume --help`). codex exec never asks for approval: it runs as "
    "`-a never` (another -a is ignored, with a warning) and the sandbox decides what "
    "commands may do."
)
APPROVAL_CHOICES = ("untrusted", "on-failure", "on-request", "never")


class _Parser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` (exit 2, one line) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_global_options(p: argparse.ArgumentParser, *, nested: bool) -> None:
    """Options valid on every command. ``nested`` parsers must not reset top-level values."""
    d: Any = argparse.SUPPRESS if nested else None
    # A subcommand's parser writes into a fresh namespace that then overwrites the parent's
    # values, so repeatable options after the subcommand go to their own dest (merged later).
    suffix = _NESTED_SUFFIX if nested else ""
    g = p.add_argument_group("global options")
    g.add_argument(
        "-c",
        "--config",
        dest="config_overrides" + suffix,
        action="append",
        metavar="key=value",
        default=d,
        help="override a config.toml value: dotted key, TOML value "
        "(bare words are strings); repeatable",
    )
    g.add_argument("-p", "--profile", default=d, help="config profile to use")
    g.add_argument("-m", "--model", default=d, help="model to use")
    g.add_argument(
        "--oss",
        action="store_true",
        default=d,
        help="use the local `oss` provider (Ollama); default model gpt-oss:20b",
    )
    g.add_argument(
        "--local-provider",
        choices=("ollama", "lmstudio"),
        default=d,
        help="the local server for --oss (implies it): ollama (default) or lmstudio",
    )
    g.add_argument(
        "--search",
        action="store_true",
        default=d,
        help="offer the model live web search (the Responses API's hosted web_search tool; "
        "= -c tools.web_search=true)",
    )
    g.add_argument(
        "-s",
        "--sandbox",
        dest="sandbox_mode",
        choices=SANDBOX_CHOICES,
        default=d,
        help="sandbox for model-generated commands",
    )
    g.add_argument(
        "-a",
        "--ask-for-approval",
        dest="approval_policy",
        choices=APPROVAL_CHOICES,
        default=d,
        help="when to ask before running a command",
    )
    g.add_argument(
        "--full-auto", action="store_true", default=d, help="= -a on-failure -s workspace-write"
    )
    g.add_argument(
        "--dangerously-bypass-approvals-and-sandbox",
        "--yolo",
        action="store_true",
        dest="dangerously_bypass",
        default=d,
        help="= -a never -s danger-full-access (only inside an external sandbox)",
    )
    g.add_argument(
        "-C", "--cd", dest="cwd", default=d, metavar="DIR", help="working root of the session"
    )
    g.add_argument(
        "-i",
        "--image",
        dest="images" + suffix,
        action="append",
        default=d,
        metavar="FILE",
        help="attach an image to the first prompt (repeatable; never takes the prompt)",
    )
    g.add_argument(
        "--add-dir",
        dest="add_dirs" + suffix,
        action="append",
        default=d,
        metavar="DIR",
        help="another writable root for this run, besides the working root (repeatable)",
    )


_NESTED_SUFFIX = "_after_command"
_REPEATABLE = ("config_overrides", "images", "add_dirs")


def _merge_repeatable(args: argparse.Namespace) -> argparse.Namespace:
    for name in _REPEATABLE:
        before = getattr(args, name, None) or []
        after = getattr(args, name + _NESTED_SUFFIX, None) or []
        if hasattr(args, name + _NESTED_SUFFIX):
            delattr(args, name + _NESTED_SUFFIX)
        setattr(args, name, before + after)
    return args


def _handler(target: str) -> Callable[[argparse.Namespace], int]:
    module_name, func_name = target.split(":")

    def call(args: argparse.Namespace) -> int:
        module = importlib.import_module(f"pycodex.cli.{module_name}")
        result: int = getattr(module, func_name)(args)
        return result

    return call


def build_parser() -> argparse.ArgumentParser:
    root = _Parser(
        prog="codex",
        description="pycodex: a coding agent in your terminal. "
        "With no command, opens the interactive session.",
    )
    root.add_argument("-V", "--version", action="version", version=VERSION_LINE)
    _add_global_options(root, nested=False)
    _add_tui_options(root)
    root.set_defaults(handler=_handler("tui_cmd:run_tui"), prompt=None)
    sub = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(
        name: str,
        target: str,
        help_text: str,
        aliases: tuple[str, ...] = (),
        epilog: str | None = None,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name, help=help_text, description=help_text, aliases=list(aliases), epilog=epilog
        )
        _add_global_options(p, nested=True)
        p.set_defaults(handler=_handler(target))
        return p

    ex = add(
        "exec", "exec_cmd:run_exec", "run non-interactively", aliases=("e",), epilog=EXEC_EPILOG
    )
    ex.add_argument("prompt", nargs="?", help="the task; absent or `-` reads it from stdin")
    ex.add_argument("-V", "--version", action="version", version=VERSION_LINE)
    _add_exec_options(ex)

    rs = add("resume", "tui_cmd:run_resume", "continue a saved session interactively")
    rs.add_argument("session_id", nargs="?", metavar="ID")
    rs.add_argument("--last", action="store_true", help="the most recent session")
    rs.add_argument("prompt", nargs="?")
    _add_tui_options(rs)

    mcp = add("mcp", "mcp_cmd:run_mcp", "run pycodex as an MCP server on stdio, or manage servers")
    _add_mcp_subcommands(mcp)
    add("mcp-server", "mcp_cmd:run_mcp", "run pycodex as an MCP server on stdio")

    lg = add("login", "login_cmd:run_login", "sign in with ChatGPT (browser), or store an API key")
    _add_login_options(lg)
    add("logout", "login_cmd:run_logout", "remove stored credentials")

    cfg = add("config", "config_cmd:run_config_help", "inspect the configuration")
    _add_config_subcommands(cfg)

    sb = add("sandbox", "sandbox_cmd:run_sandbox", "run a command under the agent's sandbox")
    sb.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD...")
    dbg = add("debug", "sandbox_cmd:run_debug_help", "debugging tools")
    _add_debug_subcommands(dbg)

    comp = add("completion", "completion_cmd:run_completion", "print a shell completion script")
    comp.add_argument("shell", nargs="?", default="bash", choices=("bash", "zsh", "fish"))
    hp = add("help", "completion_cmd:run_help", "show this help, or a command's (= COMMAND --help)")
    hp.add_argument("topic", nargs="*", metavar="COMMAND")
    return root


def _add_login_options(lg: argparse.ArgumentParser) -> None:
    """`codex login [--api-key KEY | --with-api-key]` and `codex login status`."""
    lg.add_argument("--api-key", metavar="KEY", help="the API key to store")
    lg.add_argument("--with-api-key", action="store_true", help="read the API key from stdin")
    # Hidden, for tests and a sign-in server on this machine (loopback URLs only).
    lg.add_argument("--experimental_issuer", dest="issuer", help=argparse.SUPPRESS)
    lg.add_argument("--experimental_client-id", dest="client_id", help=argparse.SUPPRESS)
    lg.add_argument("--experimental_port", dest="login_port", type=int, help=argparse.SUPPRESS)
    lg.add_argument(
        "--experimental_timeout", dest="login_timeout", type=float, help=argparse.SUPPRESS
    )
    lg_sub = lg.add_subparsers(dest="login_command", metavar="status", parser_class=_Parser)
    st = lg_sub.add_parser("status", help="show how pycodex authenticates")
    _add_global_options(st, nested=True)
    st.set_defaults(handler=_handler("login_cmd:run_status"))


def _add_config_subcommands(cfg: argparse.ArgumentParser) -> None:
    """`codex config show [--json] [--models]`."""
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="show", parser_class=_Parser)
    show = cfg_sub.add_parser(
        "show", help="the effective configuration and where each value came from"
    )
    _add_global_options(show, nested=True)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument(
        "--models",
        action="store_true",
        help="also ask the selected local provider which models it has (GET {base_url}/models)",
    )
    show.set_defaults(handler=_handler("config_cmd:run_config_show"))


def _add_debug_subcommands(dbg: argparse.ArgumentParser) -> None:
    """`codex debug landlock|seatbelt [--full-auto] -- CMD` (v0.20)."""
    dbg_sub = dbg.add_subparsers(dest="debug_command", parser_class=_Parser)
    for name in ("landlock", "seatbelt"):
        d = dbg_sub.add_parser(name, help=f"run a command under {name}")
        _add_global_options(d, nested=True)
        d.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD...")
        d.set_defaults(handler=_handler(f"sandbox_cmd:run_debug_{name}"))


def _add_mcp_subcommands(mcp: argparse.ArgumentParser) -> None:
    """`codex mcp list|get|add|remove` (no subcommand: the server, as in v0.20)."""
    sub = mcp.add_subparsers(
        dest="mcp_command", metavar="{list,get,add,remove}", parser_class=_Parser
    )

    def leaf(name: str, target: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _add_global_options(p, nested=True)
        p.set_defaults(handler=_handler(target))
        return p

    ls = leaf("list", "mcp_cmd:run_mcp_list", "list the configured MCP servers")
    ls.add_argument("--json", action="store_true", help="print JSON")
    get = leaf("get", "mcp_cmd:run_mcp_get", "show one configured MCP server")
    get.add_argument("name", metavar="NAME")
    get.add_argument("--json", action="store_true", help="print JSON")
    ad = leaf("add", "mcp_cmd:run_mcp_add", "add (or replace) an MCP server in config.toml")
    ad.add_argument("name", metavar="NAME")
    ad.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="server environment"
    )
    ad.add_argument("--url", metavar="URL", help="a streamable HTTP server instead of a command")
    ad.add_argument(
        "--bearer-token-env-var",
        metavar="VAR",
        help="with --url: send the token in this environment variable as a bearer token",
    )
    ad.add_argument("server_command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")
    rm = leaf("remove", "mcp_cmd:run_mcp_remove", "remove an MCP server from config.toml")
    rm.add_argument("name", metavar="NAME")


def _add_exec_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSONL events on stdout")
    p.add_argument(
        "-o", "--output-last-message", metavar="FILE", help="write the last agent message to FILE"
    )
    p.add_argument(
        "--skip-git-repo-check", action="store_true", help="allow running outside a git repository"
    )
    p.add_argument("--color", choices=("always", "never", "auto"), default="auto")
    p.add_argument("--ephemeral", action="store_true", help="write no session file")
    p.add_argument(
        "--output-schema",
        metavar="FILE",
        help="a JSON Schema the final answer must match, sent to the model as a strict "
        "structured-output format exactly as written (OpenAI's strict mode wants "
        "additionalProperties: false and every property required; pycodex does not add "
        "them). The final message is checked: not JSON or not matching is an error, exit 1",
    )


def _add_tui_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-alt-screen",
        action="store_true",
        help="run the interactive session inline (the transcript stays in the scrollback)",
    )


def build_exec_resume_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="codex exec resume", description="continue a saved session headless")
    _add_global_options(p, nested=False)
    p.add_argument("session_id", nargs="?", metavar="ID")
    p.add_argument("--last", action="store_true", help="the most recent session")
    p.add_argument("prompt", nargs="?", help="the next prompt; `-` reads stdin")
    _add_exec_options(p)
    p.set_defaults(handler=_handler("exec_cmd:run_exec_resume"), command="exec-resume")
    return p


def build_tui_parser() -> argparse.ArgumentParser:
    """`codex [OPTIONS] [PROMPT]`: no subcommand opens the interactive session."""
    p = _Parser(prog="codex")
    _add_global_options(p, nested=False)
    p.add_argument("prompt", nargs="?", help="first message of the interactive session")
    _add_tui_options(p)
    p.set_defaults(handler=_handler("tui_cmd:run_tui"), command=None)
    return p


_VALUE_OPTIONS = frozenset(
    (
        "-c",
        "--config",
        "-p",
        "--profile",
        "-m",
        "--model",
        "-s",
        "--sandbox",
        "-a",
        "--ask-for-approval",
        "-C",
        "--cd",
        "-i",
        "--image",
        "--local-provider",
        "--add-dir",
        # exec's: so `codex exec --output-schema F resume --last` still finds `resume`
        "-o",
        "--output-last-message",
        "--color",
        "--output-schema",
    )
)
COMMANDS = frozenset(
    (
        "exec",
        "e",
        "resume",
        "mcp",
        "mcp-server",
        "login",
        "logout",
        "config",
        "sandbox",
        "debug",
        "completion",
        "help",
    )
)


def _first_positional(argv: list[str]) -> int | None:
    """Index of the first token that is neither an option nor an option's value."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return i + 1 if i + 1 < len(argv) else None
        if token.startswith("-") and token != "-":
            i += 2 if token in _VALUE_OPTIONS else 1
            continue
        return i
    return None


def parse(argv: list[str]) -> Callable[[], int]:
    """Parse argv into a ready-to-run command."""
    args = parse_namespace(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return lambda: handler(args)


def parse_namespace(argv: list[str]) -> argparse.Namespace:
    """The parsed arguments; ``args.command`` names the subcommand (None: the TUI)."""
    first = _first_positional(argv)
    word = argv[first] if first is not None else None
    if word == "help" and first is not None:
        rest = argv[first + 1 :]
        nxt = _first_positional(rest)
        if nxt is not None:  # `codex help COMMAND ...` = `codex COMMAND ... --help`
            check_help_topic(rest[nxt], COMMANDS - {"help"})
            return parse_namespace(argv[:first] + rest + ["--help"])
    if word is not None and first is not None and word not in COMMANDS and "--" not in argv[:first]:
        check_prompt_word(word, COMMANDS)
    if word in ("exec", "e") and first is not None:
        rest = argv[first + 1 :]
        nxt = _first_positional(rest)
        if nxt is not None and "--" not in rest[:nxt]:
            check_exec_word(rest[nxt])
        if nxt is not None and rest[nxt] == "resume":
            args = build_exec_resume_parser().parse_args(
                argv[:first] + rest[:nxt] + rest[nxt + 1 :]
            )
        else:
            args = build_parser().parse_args(argv)
    elif word is None and any(a in ("-h", "--help", "-V", "--version") for a in argv):
        args = build_parser().parse_args(argv)
    elif word is None or word not in COMMANDS:
        args = build_tui_parser().parse_args(argv)
    else:
        args = build_parser().parse_args(argv)
    return _merge_repeatable(args)


def print_help() -> int:
    build_parser().print_help(sys.stdout)
    return 0
