"""Start-up cost of `codex`: median wall time and peak RSS over repeated runs.

Usage: ``python bench/startup.py [--runs N] [--json]``

Compares ``python -c pass`` (the floor: the interpreter alone), ``codex --version`` and
``codex config show``. Uses the installed console script ``.venv/bin/codex`` when present
(what a user runs), else ``python -m pycodex``. ``CODEX_HOME`` points to an empty temporary
directory so the user's configuration does not change the numbers.

Wall time: each child is started with ``posix_spawn`` and reaped with ``os.wait4``.
Peak RSS: Linux charges a child, at ``exec``, with the peak RSS of the memory image it was
spawned from, so ``wait4``'s ``ru_maxrss`` of a child of this (bigger) Python process is at
least this process's own RSS. The exact number comes from GNU ``time -f %M`` (a small
process that forks the command itself); without GNU time the wait4 value is shown, marked
``<=`` as an upper bound.
"""

from __future__ import annotations

import argparse
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


@dataclass(frozen=True)
class Result:
    label: str
    median_ms: float
    min_ms: float
    peak_rss_mib: float
    rss_exact: bool  # False: an upper bound (see the module docstring)
    ratio: float  # median wall time / median of `python -c pass`


_NO_WRAPPER = "import sys; from pycodex.cli import main; sys.exit(main(['--version']))"


def _python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _codex() -> list[str]:
    script = REPO / ".venv" / "bin" / "codex"
    return [str(script)] if script.exists() else [_python(), "-m", "pycodex"]


def _rss_mib(maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def _run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one run with output discarded."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {code}")
    return wall, _rss_mib(usage.ru_maxrss)


_GNU_TIME = Path("/usr/bin/time")


def _gnu_time_works() -> bool:
    if not _GNU_TIME.exists():
        return False
    proc = subprocess.run(
        [str(_GNU_TIME), "-f", "%M", "true"], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0 and proc.stderr.strip().isdigit()


def _exact_rss(argv: list[str], env: dict[str, str], out: Path) -> float:
    """Peak RSS (MiB) of one run measured by GNU time."""
    cmd = [str(_GNU_TIME), "-f", "%M", "-o", str(out), *argv]
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return int(out.read_text().split()[-1]) / 1024


def _check(argv: list[str], env: dict[str, str]) -> str | None:
    """One warm-up run; the reason the command does not work, or ``None`` when it does."""
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode == 0:
        return None
    last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return f"exit {proc.returncode}: {last}"


def measure(runs: int) -> tuple[list[Result], dict[str, str]]:
    """Results of the commands that work, and why the others were left out."""
    python = _python()
    codex = _codex()
    cases = [
        ("python -c pass", [python, "-c", "pass"]),
        ("codex --version", [*codex, "--version"]),
        # The same without pip's console-script wrapper (which imports `re`), for attribution.
        ("  main() --version", [python, "-c", _NO_WRAPPER]),
        ("codex config show", [*codex, "config", "show"]),
    ]
    home = tempfile.mkdtemp(prefix="pycodex-bench-")
    try:
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        env["CODEX_HOME"] = home
        failed = {label: why for label, argv in cases if (why := _check(argv, env))}
        if "python -c pass" in failed:
            raise SystemExit(f"python -c pass failed: {failed['python -c pass']}")
        cases = [(label, argv) for label, argv in cases if label not in failed]
        samples: dict[str, tuple[list[float], list[float]]] = {
            label: ([], []) for label, _ in cases
        }
        # Interleave the commands so drift in machine load affects all of them alike.
        for _ in range(runs):
            for label, argv in cases:
                wall, rss = _run_once(argv, env)
                samples[label][0].append(wall)
                samples[label][1].append(rss)
        exact = _gnu_time_works()
        if exact:
            out = Path(home) / "rss"
            for label, argv in cases:  # RSS hardly varies: a few runs are enough
                samples[label][1][:] = [_exact_rss(argv, env, out) for _ in range(min(runs, 5))]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    base = statistics.median(samples["python -c pass"][0])
    results = [
        Result(
            label=label,
            median_ms=statistics.median(walls) * 1000,
            min_ms=min(walls) * 1000,
            peak_rss_mib=statistics.median(rsss),
            rss_exact=exact,
            ratio=statistics.median(walls) / base,
        )
        for label, (walls, rsss) in samples.items()
    ]
    return results, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="runs per command (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results, failed = measure(args.runs)
    if args.json:
        print(json.dumps({"results": [asdict(r) for r in results], "failed": failed}, indent=2))
        return 1 if failed else 0
    print(f"start-up, {args.runs} runs each; codex = {' '.join(_codex())}")
    print(f"{'command':<20} {'median ms':>10} {'min ms':>8} {'peak RSS MiB':>13} {'vs python':>10}")
    for r in results:
        rss = f"{'' if r.rss_exact else '<= '}{r.peak_rss_mib:.1f}"
        print(f"{r.label:<20} {r.median_ms:>10.1f} {r.min_ms:>8.1f} {rss:>13} {r.ratio:>9.2f}x")
    for label, why in failed.items():
        print(f"{label:<20} not measured ({why})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
