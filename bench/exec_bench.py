"""`codex exec` against the scripted model server: start-up, per-turn overhead, RSS, growth.

Usage: ``python bench/exec_bench.py [--runs N] [--turns T] [--sandbox MODE] [--json]``

The server runs in this process (a thread); each `codex exec` is a real subprocess with its
own ``CODEX_HOME`` pointing provider ``mock`` at the server, in a fresh git repository.

- **first request**: from just before the process is spawned to the arrival of its first
  model request at the server (both ``time.time()`` on one machine).
- **per-turn overhead**: a script of T model turns, each asking for ``echo hi`` through
  the ``shell`` tool, then a final message. (wall time of the process - time the server
  spent answering) / turns. It includes running ``echo`` itself, as a user would see it.
- **peak RSS**: of `codex exec` over the T turns, measured by GNU ``time -f %M`` (exact;
  ``wait4`` from this bigger process would be inflated, see ``bench/startup.py``).
- **request growth**: median increase of the request body size from one turn to the next.

``--sandbox MODE`` passes ``-s MODE`` (default: the config's default, read-only);
``--command "printf hi"`` runs another command each turn. ``echo`` is known-safe, so it runs
read-only whatever the mode; a command that is not (``printf``) runs under
``workspace-write`` and its first run pays the search of the writable roots (the workspace,
``$TMPDIR`` and ``/tmp``) for repositories to protect.

Targets (issue 3): first request <= 150 ms, per-turn overhead <= 15 ms, peak RSS <= 60 MiB.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.model_server import ScriptedModelServer, ToolCall, Turn  # noqa: E402

TARGETS = {"first_request_ms": 150.0, "per_turn_overhead_ms": 15.0, "peak_rss_mib": 60.0}


@dataclass(frozen=True)
class Numbers:
    first_request_ms: float
    per_turn_overhead_ms: float
    peak_rss_mib: float
    request_growth_bytes: float
    turns: int
    runs: int


_OTHER: list[str] = []  # --codex: another CLI to measure the same way (e.g. the real Codex)
_SANDBOX: list[str] = []  # --sandbox MODE: ["-s", MODE]
_COMMAND: list[str] = ["echo", "hi"]  # --command: what each turn runs (echo is known-safe)


def _codex() -> list[str]:
    if _OTHER:
        return list(_OTHER)
    script = REPO / ".venv" / "bin" / "codex"
    venv_python = REPO / ".venv" / "bin" / "python"
    if script.exists():
        return [str(script)]
    return [str(venv_python) if venv_python.exists() else sys.executable, "-m", "pycodex"]


def _setup(root: Path, base_url: str) -> tuple[Path, dict[str, str]]:
    home = root / "home"
    repo = root / "repo"
    home.mkdir()
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (home / "config.toml").write_text(
        'model = "bench-model"\nmodel_provider = "mock"\n'
        "[model_providers.mock]\n"
        f'name = "Mock"\nbase_url = "{base_url}"\nwire_api = "responses"\n'
        'env_key = "MOCK_KEY"\n'
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "CODEX_HOME": str(home),
        "MOCK_KEY": "sk-bench",
        "LANG": "C.UTF-8",
    }
    return repo, env


def _exec_flags() -> list[str]:
    # --ephemeral is ours (and newer Codex's); v0.20 does not know it.
    flags = ["exec", "--json"] if _OTHER else ["exec", "--json", "--ephemeral"]
    return [*flags, *_SANDBOX]


def first_request_ms() -> float:
    with ScriptedModelServer([Turn(text="ok")]) as server, tempfile.TemporaryDirectory() as tmp:
        repo, env = _setup(Path(tmp), server.base_url)
        argv = [*_codex(), *_exec_flags(), "hi"]
        t0 = time.time()
        proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"codex exec failed: {proc.stderr.decode()[-2000:]}")
        first = server.model_requests[0]
        return (first.started_at - t0) * 1000


def turns_run(turns: int) -> tuple[float, float, float]:
    """(per-turn overhead ms, peak RSS MiB, median request growth bytes)."""
    script = [
        Turn(tool_calls=[ToolCall("shell", {"command": list(_COMMAND)})]) for _ in range(turns)
    ]
    script.append(Turn(text="done"))
    with ScriptedModelServer(script) as server, tempfile.TemporaryDirectory() as tmp:
        repo, env = _setup(Path(tmp), server.base_url)
        rss_file = Path(tmp) / "rss"
        time_bin = shutil.which("time") or "/usr/bin/time"
        argv = [time_bin, "-f", "%M", "-o", str(rss_file), *_codex()]
        argv += [*_exec_flags(), "go"]
        t0 = time.time()
        proc = subprocess.run(
            argv, cwd=repo, env=env, capture_output=True, timeout=600, check=False
        )
        wall = time.time() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"codex exec failed: {proc.stderr.decode()[-2000:]}")
        reqs = server.model_requests
        if len(reqs) != turns + 1:
            raise RuntimeError(f"expected {turns + 1} requests, saw {len(reqs)}")
        first_arrival = reqs[0].started_at
        served = sum((r.finished_at or r.started_at) - r.started_at for r in reqs)
        # From the first request on: excludes process start-up (measured separately).
        loop_wall = t0 + wall - first_arrival
        overhead = (loop_wall - served) / turns * 1000
        rss_kib = int(rss_file.read_text().split()[-1])
        sizes = [len(r.raw) for r in reqs]
        growth = statistics.median(b - a for a, b in itertools.pairwise(sizes))
        return overhead, rss_kib / 1024, float(growth)


def measure(runs: int, turns: int) -> Numbers:
    first_request_ms()  # warm the page cache and .pyc files
    firsts = [first_request_ms() for _ in range(runs)]
    per_turn = [turns_run(turns) for _ in range(max(1, runs // 2))]
    return Numbers(
        first_request_ms=round(statistics.median(firsts), 1),
        per_turn_overhead_ms=round(statistics.median(p[0] for p in per_turn), 2),
        peak_rss_mib=round(statistics.median(p[1] for p in per_turn), 1),
        request_growth_bytes=statistics.median(p[2] for p in per_turn),
        turns=turns,
        runs=runs,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--codex", metavar="CMD", help="measure another CLI binary instead")
    parser.add_argument("--sandbox", metavar="MODE", help="pass -s MODE to codex exec")
    parser.add_argument(
        "--command", metavar="ARGV", help="each turn's command, split on spaces (echo hi)"
    )
    args = parser.parse_args(argv)
    if args.command:
        _COMMAND[:] = args.command.split()
    if args.sandbox:
        _SANDBOX[:] = ["-s", args.sandbox]
    if args.codex:
        _OTHER[:] = [args.codex]
    numbers = measure(args.runs, args.turns)
    if args.json:
        print(json.dumps(asdict(numbers)))
        return 0
    print(f"codex exec vs scripted server ({args.runs} runs, {args.turns} turns), medians:")
    rows = [
        ("first request", numbers.first_request_ms, "ms", "first_request_ms"),
        ("per-turn overhead", numbers.per_turn_overhead_ms, "ms", "per_turn_overhead_ms"),
        ("peak RSS", numbers.peak_rss_mib, "MiB", "peak_rss_mib"),
        ("request growth/turn", numbers.request_growth_bytes, "bytes", ""),
    ]
    for label, value, unit, key in rows:
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            verdict = f"  (target <= {target:g} {unit}: {'ok' if value <= target else 'MISSED'})"
        print(f"  {label:<20} {value:>9.1f} {unit}{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
