"""The TUI's speed: first frame, streaming, a long transcript, and `@` file search.

Usage: ``python bench/tui_bench.py [--files N] [--turns T] [--tokens K] [--max-mounted M]
[--json] [--only PART]`` (PART: ``startup``, ``stream``, ``transcript``, ``search``;
repeatable; ``--max-mounted`` tries another virtualisation window for the transcript).

- **startup** (needs tmux): ``python -m pycodex`` in a real terminal (tmux, 100x30) against the
  scripted model server; time from ``send-keys`` of the command to the composer's footer on
  screen (``capture-pane`` polled every 5 ms), median of 5. Without tmux: in-process time
  from constructing ``CodexApp`` to the focused composer, plus ``import`` time in a child.
- **stream**: the app under Textual's headless ``run_test`` with a core double emitting
  ``AgentMessageDelta`` at 1,000 tokens/s; CPU time of this process per token, how far the
  display lagged behind the stream at the end, and key latency while streaming (20 keys
  typed mid-stream must all reach the composer: no dropped input).
- **transcript**: T turns (default 500) of markdown answers through the same path; RSS
  growth, mounted widgets (virtualised: must stay flat), and frame time of scrolling
  (scroll + the refresh that follows) after 10 turns vs after T turns; then the Ctrl+T
  pager over all T turns: time to open it, and its frame time scrolling from the top.
- **search**: a synthetic tree of N files (default 100,000, plus 10,000 in an ignored
  ``node_modules``) in a temp dir; walk+index build time, then per-keystroke latency of
  typed queries (each keystroke a new search, as the `@` popup does): p50/p95/max.

Targets (issue 7): first frame <= 400 ms, 500-turn transcript >= 30 fps (frame <= 33 ms),
file search <= 50 ms per keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.model_server import ScriptedModelServer  # noqa: E402

Results = dict[str, Any]
MARKDOWN = (
    "Here is the change to `src/app.py:12`:\n\n```python\ndef f(x):\n    return x + 1\n```\n\n"
    "- first point\n- second point with **bold** text\n"
)


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- startup


def _write_home(home: Path, base_url: str, work: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "test-model"\nmodel_provider = "mock"\n'
        f'[model_providers.mock]\nname = "Mock"\nbase_url = "{base_url}"\n'
        'wire_api = "responses"\nenv_key = "MOCK_KEY"\n'
        f'[projects."{work}"]\ntrust_level = "trusted"\n'
    )


def bench_startup(runs: int = 5) -> Results:
    tmux = shutil.which("tmux")
    if tmux is None:
        return {"skipped": "tmux not installed", **asyncio.run(_inprocess_startup())}
    times = []
    with (
        ScriptedModelServer() as server,
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp,
    ):
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        subprocess.run(["git", "init", "-q", str(work)], check=True, timeout=30)
        _write_home(root / "home", server.base_url, work.resolve())
        env = f"env -i PATH=/usr/bin:/bin HOME={root} TERM=xterm-256color LANG=C.UTF-8 "
        env += f"CODEX_HOME={root / 'home'} MOCK_KEY=sk"
        for run in range(runs):
            base = [tmux, "-S", str(root / f"sock{run}"), "-f", "/dev/null"]
            subprocess.run(
                [*base, "new-session", "-d", "-s", "b", "-x", "100", "-y", "30", "-c", str(work),
                 f"{env} bash --norc --noprofile"],
                check=True, timeout=15,
            )  # fmt: skip
            try:
                cmd = f"{sys.executable} -m pycodex"
                t0 = time.perf_counter()
                subprocess.run([*base, "send-keys", "-t", "b", cmd, "Enter"], check=True)
                deadline = t0 + 30
                while time.perf_counter() < deadline:
                    screen = subprocess.run(
                        [*base, "capture-pane", "-p", "-t", "b"],
                        capture_output=True,
                        text=True,
                        check=False,
                    ).stdout
                    if "Ctrl+C quit" in screen:
                        times.append((time.perf_counter() - t0) * 1000)
                        break
                    time.sleep(0.005)
            finally:
                subprocess.run([*base, "kill-server"], capture_output=True, check=False)
    return {
        "first_frame_ms_median": round(statistics.median(times), 1) if times else None,
        "first_frame_ms_all": [round(t, 1) for t in times],
        "target_ms": 400,
    }


async def _inprocess_startup() -> Results:
    t0 = time.perf_counter()
    app, _ = _bench_app(_Core)
    async with app.run_test(size=(100, 32)) as pilot:
        while not app.composer.has_focus:
            await pilot.pause(0.001)
        ms = (time.perf_counter() - t0) * 1000
    return {"inprocess_composer_ms": round(ms, 1)}


# --------------------------------------------------------------------------- app + core


class _Core:
    """A core double: each prompt plays ``tokens`` deltas at ``rate`` per second."""

    def __init__(self, tokens: int = 1, rate: float = 0.0, text: str = MARKDOWN) -> None:
        from pycodex.protocol.events import Event, SessionConfigured

        self.tokens, self.rate, self.text = tokens, rate, text
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        self.events.put_nowait(Event("0", SessionConfigured("bench", "test-model", None)))
        self.emitted_at: list[float] = []
        self.sent = 0

    def emit(self, msg: Any) -> None:
        from pycodex.protocol.events import Event

        self.events.put_nowait(Event("1", msg))

    async def submit(self, op: Any) -> str:
        from pycodex.protocol.events import ShutdownComplete
        from pycodex.protocol.ops import Shutdown, UserInput

        if isinstance(op, UserInput):
            asyncio.get_running_loop().create_task(self._play())
        elif isinstance(op, Shutdown):
            self.emit(ShutdownComplete())
        return "1"

    async def next_event(self) -> Any:
        return await self.events.get()

    async def _play(self) -> None:
        from pycodex.protocol.events import (
            AgentMessage,
            AgentMessageDelta,
            TaskComplete,
            TaskStarted,
        )

        self.emit(TaskStarted(128_000))
        loop = asyncio.get_running_loop()
        start = loop.time()
        pieces = [f"tok{i} " for i in range(self.tokens)] if self.tokens > 1 else [self.text]
        for i, piece in enumerate(pieces):
            if self.rate:
                delay = start + i / self.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            self.emit(AgentMessageDelta(piece))
            self.sent += 1
        self.emitted_at.append(loop.time())
        self.emit(AgentMessage("".join(pieces)))
        self.emit(TaskComplete("".join(pieces)))


def _bench_app(make_core: Callable[[], _Core]) -> tuple[Any, list[_Core]]:
    from pycodex.config.loader import load_config
    from pycodex.config.overrides import CliOverrides
    from pycodex.frontends.tui.app import CodexApp
    from pycodex.frontends.tui.options import TuiOptions

    home = Path(tempfile.mkdtemp(prefix="tui-bench-"))
    env = {"CODEX_HOME": str(home), "HOME": str(home), "PATH": "/usr/bin:/bin"}
    config = load_config(codex_home=home, cwd=home, env=env, overrides=CliOverrides()).config
    cores: list[_Core] = []

    async def spawn(cfg: Any, resume: Path | None) -> _Core:
        core = make_core()
        cores.append(core)
        return core

    return CodexApp(TuiOptions(config=config, env=env, spawn=spawn)), cores


async def _until(pilot: Any, cond: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > deadline:
            raise TimeoutError("bench: condition not reached")
        await pilot.pause(0.002)


async def _turn(app: Any, pilot: Any, core: _Core, text: str) -> float:
    """One prompt and its answer; returns its wall time in ms."""
    t0 = time.perf_counter()
    before = len(core.emitted_at)
    await app._send(text)  # the composer's own submit path, minus typing
    await _until(pilot, lambda: len(core.emitted_at) > before and not app.working)
    return (time.perf_counter() - t0) * 1000


# --------------------------------------------------------------------------- stream


async def _stream(tokens: int, rate: float) -> Results:
    app, cores = _bench_app(lambda: _Core(tokens, rate))
    async with app.run_test(size=(100, 32)) as pilot:
        await _until(pilot, lambda: app.link is not None and app.link.ready.is_set())
        cpu0, t0 = time.process_time(), time.perf_counter()
        await app._send("stream please")
        await _until(pilot, lambda: app.router.assistant is not None)
        core, cell = cores[0], app.router.assistant
        lags: list[float] = []  # tokens emitted but not yet on screen, in ms of stream
        latencies: list[float] = []
        keys = "abcdefghijklmnopqrst"
        for ch in keys:  # typing while the answer streams
            for _ in range(5):
                shown = cell.text[: cell._shown].count(" ")
                lags.append((core.sent - shown) / rate * 1000)
                await asyncio.sleep(0.01)
            k0 = time.perf_counter()
            app.simulate_key(ch)
            while not app.composer.text.endswith(ch) and time.perf_counter() - k0 < 5:
                await asyncio.sleep(0.0005)
            latencies.append((time.perf_counter() - k0) * 1000)
        await _until(pilot, lambda: core.emitted_at)
        stream_end = time.perf_counter()
        await _until(pilot, lambda: not app.working)
        done = time.perf_counter()
        cpu = time.process_time() - cpu0
        typed = app.composer.text
    return {
        "tokens": tokens,
        "rate_per_s": rate,
        "cpu_ms_per_token": round(cpu * 1000 / tokens, 3),
        "cpu_share_of_stream": round(cpu / (done - t0), 2),
        "display_lag_ms_p50": round(statistics.median(lags), 1),
        "display_lag_ms_max": round(max(lags), 1),
        "stream_s": round(stream_end - t0, 2),
        "final_render_ms": round((done - stream_end) * 1000, 1),
        "key_latency_ms_p50": round(statistics.median(latencies), 1),
        "key_latency_ms_max": round(max(latencies), 1),
        "keys_kept": f"{sum(1 for c in keys if c in typed)}/{len(keys)}",
    }


def bench_stream(tokens: int = 2000, rate: float = 1000.0) -> Results:
    return asyncio.run(_stream(tokens, rate))


# --------------------------------------------------------------------------- transcript


async def _frame_ms(app: Any, pilot: Any, steps: int = 40, view: Any = None) -> float:
    scroller = app.transcript if view is None else view
    times = []
    for i in range(steps):
        dy = -6 if i < steps // 2 else 6
        t0 = time.perf_counter()
        scroller.scroll_relative(y=dy, animate=False, immediate=True)
        await pilot.pause()  # the refresh that shows it
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


async def _transcript(turns: int, max_mounted: int | None = None) -> Results:
    app, cores = _bench_app(_Core)
    if max_mounted is not None:  # what-if: a different virtualisation window
        app.transcript.max_mounted = max_mounted
    async with app.run_test(size=(100, 32)) as pilot:
        await _until(pilot, lambda: app.link is not None and app.link.ready.is_set())
        core = cores[0]
        for i in range(10):
            await _turn(app, pilot, core, f"warm-up {i}")
        early_frame = await _frame_ms(app, pilot)
        rss0, widgets0 = _rss_mib(), len(app.query("*"))
        turn_ms = [await _turn(app, pilot, core, f"turn {i}") for i in range(min(90, turns - 10))]
        rss_full = _rss_mib()  # the mounted window is full by now: later growth is history's
        turn_ms += [await _turn(app, pilot, core, f"turn {i}") for i in range(90, turns - 10)]
        late_frame = await _frame_ms(app, pilot)
        rss1, widgets1 = _rss_mib(), len(app.query("*"))
        t0 = time.perf_counter()
        app.action_transcript()  # Ctrl+T: the whole transcript
        await _until(pilot, lambda: app.screen.query("PagerView"))
        await pilot.pause()
        pager_open = (time.perf_counter() - t0) * 1000
        view = app.screen.query_one("PagerView")
        pager_lines = view.virtual_size.height
        view.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        pager_frame = await _frame_ms(app, pilot, view=view)
    return {
        "turns": turns,
        "max_mounted_cells": app.transcript.max_mounted,
        "turn_ms_first_20": round(statistics.median(turn_ms[:20]), 1),
        "turn_ms_last_20": round(statistics.median(turn_ms[-20:]), 1),
        "frame_ms_after_10": round(early_frame, 2),
        f"frame_ms_after_{turns}": round(late_frame, 2),
        f"fps_after_{turns}": round(1000 / late_frame, 1) if late_frame else None,
        "rss_mib_after_10": round(rss0, 1),
        "rss_mib_after_100": round(rss_full, 1),
        f"rss_mib_after_{turns}": round(rss1, 1),
        "rss_kib_per_turn_after_100": round((rss1 - rss_full) * 1024 / max(turns - 100, 1), 1),
        "widgets_after_10": widgets0,
        f"widgets_after_{turns}": widgets1,
        "pager_lines": pager_lines,
        "pager_open_ms": round(pager_open, 1),
        "pager_frame_ms": round(pager_frame, 2),
        "target_fps": 30,
    }


def bench_transcript(turns: int = 500, max_mounted: int | None = None) -> Results:
    return asyncio.run(_transcript(turns, max_mounted))


# --------------------------------------------------------------------------- search

_WORDS_TEXT = (
    "app core util model view controller service handler config test spec data api auth "
    "user session token cache store render widget layout event stream parser lexer index "
    "search file path tree node graph queue worker task job"
)
WORDS = _WORDS_TEXT.split()
QUERIES = ["filesearch", "src/app", "usrctl", "readme", "appcfgts", "xyzq", "tuifs", "handlr"]


def make_tree(root: Path, n: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    made: set[str] = set()
    exts = ["py", "ts", "tsx", "js", "rs", "go", "md", "json", "css", "html"]
    while len(made) < n:
        dirs = [
            rng.choice(WORDS) + rng.choice(["", "s", "_v2", "-x"]) for _ in range(rng.randint(1, 5))
        ]
        name = rng.choice(WORDS) + rng.choice(
            ["", "_" + rng.choice(WORDS), rng.choice(WORDS).title()]
        )
        made.add("/".join(dirs) + f"/{name}{rng.randint(0, 300)}.{rng.choice(exts)}")
    made.add("src/pycodex/frontends/tui/file_search.py")
    for i in range(n // 10):
        made.add(f"node_modules/pkg{i % 300}/lib/file{i}.js")
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    for rel in made:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    return len(made)


def bench_search(files: int = 100_000) -> Results:
    from pycodex.file_search import FileIndex

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        written = make_tree(root, files)
        make_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = FileIndex(root).build()
        build_s = time.perf_counter() - t0
        per_key: list[float] = []
        worst = ("", 0.0)
        for query in QUERIES:
            for k in range(1, len(query) + 1):
                t0 = time.perf_counter()
                index.search(query[:k])
                ms = (time.perf_counter() - t0) * 1000
                per_key.append(ms)
                if ms > worst[1]:
                    worst = (query[:k], ms)
        top = [m.path for m in index.search("filesearch", limit=1)]
    return {
        "files_on_disk": written,
        "indexed": len(index),
        "tree_create_s": round(make_s, 1),
        "walk_and_index_s": round(build_s, 2),
        "keystrokes": len(per_key),
        "ms_p50": round(statistics.median(per_key), 1),
        "ms_p95": round(_pct(per_key, 95), 1),
        "ms_max": round(worst[1], 1),
        "slowest_query": worst[0],
        "over_50ms": sum(1 for t in per_key if t > 50),
        "top_hit_filesearch": top[0] if top else None,
        "target_ms": 50,
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--max-mounted", type=int, help="transcript cells kept as widgets")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--only", action="append", choices=["startup", "stream", "transcript", "search"]
    )
    args = parser.parse_args(argv)
    parts: dict[str, Callable[[], Results]] = {
        "startup": bench_startup,
        "stream": lambda: bench_stream(args.tokens),
        "transcript": lambda: bench_transcript(args.turns, args.max_mounted),
        "search": lambda: bench_search(args.files),
    }
    results: dict[str, Results] = {}
    for name, run in parts.items():
        if args.only and name not in args.only:
            continue
        results[name] = run()
        if not args.json:
            print(f"{name}:")
            for key, value in results[name].items():
                print(f"  {key:28} {value}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
