"""Run the real `codex exec` as a subprocess against the scripted model server.

Each run gets its own CODEX_HOME (a config.toml pointing provider ``mock`` at the server),
a git work tree as cwd, and an environment built from scratch (no API keys of the host).
Every wait is bounded: a hung `codex exec` fails the test through its timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.headless.schema_check import parse_jsonl

CODEX = [sys.executable, "-m", "pycodex"]
DEFAULT_TIMEOUT = 60.0


def write_config(
    home: Path,
    base_url: str,
    *,
    wire: str = "responses",
    top: str = "",
    provider: str = "",
    env_key: str | None = "MOCK_KEY",
    request_max_retries: int = 1,
    stream_max_retries: int = 1,
) -> Path:
    """config.toml with ``model_provider = "mock"`` at ``base_url``; extra TOML appended."""
    key_line = f'env_key = "{env_key}"\n' if env_key else ""
    text = (
        'model = "test-model"\n'
        'model_provider = "mock"\n'
        f"{top}\n"
        "[model_providers.mock]\n"
        'name = "Mock"\n'
        f'base_url = "{base_url}"\n'
        f'wire_api = "{wire}"\n'
        f"{key_line}"
        f"request_max_retries = {request_max_retries}\n"
        f"stream_max_retries = {stream_max_retries}\n"
        f"{provider}\n"
    )
    path = home / "config.toml"
    path.write_text(text)
    return path


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=30)
    return path


def base_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home.parent),
        "CODEX_HOME": str(home),
        "MOCK_KEY": "sk-test",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


@dataclass
class ExecResult:
    rc: int
    out: str
    err: str

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSONL stream, each line validated against the schema."""
        return parse_jsonl(self.out)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def items(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Completed items (of one type)."""
        return [
            e["item"]
            for e in self.events
            if e["type"] == "item.completed" and (kind is None or e["item"]["type"] == kind)
        ]


def codex(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ExecResult:
    proc = subprocess.run(
        [*CODEX, *args],
        cwd=cwd,
        env=dict(env),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return ExecResult(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def spawn(args: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """A running `codex` with piped stdout/stderr (for signals mid-turn)."""
    return subprocess.Popen(
        [*CODEX, *args],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def read_until(stream: IO[bytes], predicate: Any, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Reads JSONL lines into ``lines`` until one satisfies ``predicate`` (EOF: error).

    Bounded by the caller's process timeout: EOF arrives when the process ends.
    """
    for raw in iter(stream.readline, b""):
        line: dict[str, Any] = json.loads(raw)
        lines.append(line)
        if predicate(line):
            return line
    raise AssertionError(f"stream ended before the expected line; saw {lines}")


def function_outputs(body: Mapping[str, Any]) -> list[str]:
    """The tool results in a Responses request body."""
    return [i["output"] for i in body["input"] if i.get("type") == "function_call_output"]


def user_texts(body: Mapping[str, Any]) -> list[str]:
    """The user messages' text parts of a Responses request body."""
    texts = []
    for item in body["input"]:
        if item.get("type") == "message" and item.get("role") == "user":
            texts += [p["text"] for p in item["content"] if p.get("type") == "input_text"]
    return texts


class Running:
    """A `codex` process with a watchdog: killed after ``timeout`` seconds no matter what."""

    def __init__(
        self, args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 60.0
    ) -> None:
        import threading

        self.proc = spawn(args, cwd=cwd, env=env)
        self.lines: list[dict[str, Any]] = []
        self._watchdog = threading.Timer(timeout, self._kill)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def read_until(self, predicate: Any) -> dict[str, Any]:
        assert self.proc.stdout is not None
        return read_until(self.proc.stdout, predicate, self.lines)

    def finish(self, timeout: float = 30.0) -> ExecResult:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        finally:
            self._watchdog.cancel()
        rest = out.decode("utf-8", "replace")
        head = "".join(json.dumps(line) + "\n" for line in self.lines)
        return ExecResult(self.proc.returncode, head + rest, err.decode("utf-8", "replace"))
