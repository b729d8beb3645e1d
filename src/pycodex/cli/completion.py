"""Shell completion scripts, generated from the parser so they never drift from it."""

from __future__ import annotations

import argparse

from pycodex.cli.parser import build_parser


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], list[str]]:
    commands: list[str] = []
    options: list[str] = []
    for action in parser._actions:  # argparse has no public walk API
        options.extend(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            commands.extend(action.choices)
    return commands, options


def completion_script(shell: str) -> str:
    commands, options = _words(build_parser())
    words = " ".join(commands + options)
    if shell == "bash":
        return (
            "_codex() {\n"
            '  local cur="${COMP_WORDS[COMP_CWORD]}"\n'
            f'  COMPREPLY=( $(compgen -W "{words}" -- "$cur") )\n'
            "}\n"
            "complete -o default -F _codex codex pycodex"
        )
    if shell == "zsh":
        return f"#compdef codex pycodex\n_arguments '*: :({words})'"
    return (
        "\n".join(f"complete -c codex -f -a {w}" for w in commands)
        + "\n"
        + "\n".join(f"complete -c codex -l {o[2:]}" for o in options)
    )
