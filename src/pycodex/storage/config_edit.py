"""Small, careful edits of the user's ``config.toml`` (today: a project's trust level).

The file is the user's: comments, key order, blank lines and formatting must survive. So the
edit is textual and minimal: replace the ``trust_level`` value where it is written, or add a
``trust_level`` line under an existing ``[projects."<path>"]`` header, or append such a
table at the end. The result is parsed again and must equal the old data plus exactly the
one change; otherwise nothing is written (a ``ConfigError`` says why), because a "helpful"
rewrite that loses a comment or a key is worse than asking the user to edit by hand.
The write is atomic (``write_atomic``), keeps the file's mode and follows a symlinked
config.toml to its target (dotfile managers).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pycodex.config.toml_lines import dotted, key_lines
from pycodex.protocol.errors import ConfigError
from pycodex.storage.files import PRIVATE_FILE_MODE, write_atomic

__all__ = ["project_key", "set_project_trust"]


def project_key(path: Path | str) -> str:
    """The ``projects`` table key for a directory: its absolute, symlink-free path."""
    return str(Path(path).expanduser().resolve())


def set_project_trust(codex_home: Path, path: Path | str, trusted: bool) -> Path:
    """Persist ``projects."<abs path>".trust_level`` ("trusted"/"untrusted").

    Returns the config file written (or left alone when it already said so).
    """
    config = Path(codex_home) / "config.toml"
    target = config.resolve() if config.is_symlink() else config
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        raw = b""
    text = raw.decode("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML, not changed ({exc})") from exc
    key = project_key(path)
    value = "trusted" if trusted else "untrusted"
    projects = data.get("projects", {})
    entry = projects.get(key, {}) if isinstance(projects, dict) else None
    if not isinstance(entry, dict):  # `projects` or its entry is not a table: no safe edit
        raise ConfigError(
            f"{config}: `{dotted(('projects', key))}` is not a table, not changed;"
            f' add trust_level = "{value}" under [projects."{key}"] by hand'
        )
    if entry.get("trust_level") == value:
        return target
    new_text = _edit(text, key, value)
    expected = _with_trust(data, key, value)
    try:
        ok = tomllib.loads(new_text) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise ConfigError(
            f"{config}: cannot safely set {dotted(('projects', key, 'trust_level'))};"
            f' add trust_level = "{value}" under [projects."{key}"] by hand'
        )
    mode = PRIVATE_FILE_MODE
    if raw:
        mode = target.stat().st_mode & 0o7777
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, new_text.encode("utf-8"), mode=mode)
    return target


def _with_trust(data: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    out = dict(data)
    projects = dict(out.get("projects", {}))
    projects[key] = {**projects.get(key, {}), "trust_level": value}
    out["projects"] = projects
    return out


_VALUE = re.compile(r"""(trust_level\s*=\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')""")


def _edit(text: str, key: str, value: str) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    where = key_lines(text)
    line_no = where.get(("projects", key, "trust_level"))
    if line_no is None:  # inside an inline table: the line naming both the key and the value
        quoted = dotted((key,))
        hits = [i for i, ln in enumerate(lines, 1) if quoted in ln and _VALUE.search(ln)]
        line_no = hits[0] if len(hits) == 1 else None
    if line_no is not None:
        # Written already: swap the value on that line (only one occurrence, to be sure).
        line = lines[line_no - 1]
        if len(_VALUE.findall(line)) == 1:
            lines[line_no - 1] = _VALUE.sub(lambda m: m.group(1) + f'"{value}"', line)
            return "".join(lines)
        return text  # ambiguous line: the verification refuses
    entry = f'trust_level = "{value}"{newline}'
    header = _header_line(lines, key)
    if header is not None:
        lines.insert(header, entry)
        return "".join(lines)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    block = [newline] if lines and lines[-1].strip() else []
    block += [f"[{dotted(('projects', key))}]{newline}", entry]
    return "".join(lines + block)


def _header_line(lines: list[str], key: str) -> int | None:
    """The index just after an existing ``[projects."<key>"]`` header, if there is one."""
    wanted = ("projects", key)
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped.startswith("[") or stripped.startswith("[["):
            continue
        found = key_lines(stripped)
        if wanted in found and len(max(found, key=len)) == 2:
            return i + 1
    return None
