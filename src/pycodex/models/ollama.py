"""``--oss`` bootstrap: make sure the local Ollama server is up and has the model (reference §2.6).

Order of requests, as v0.20: ``GET {root}/v1/models`` (is it up?), ``GET {root}/api/tags``
(is the model there?), and only if missing ``POST {root}/api/pull`` streaming NDJSON progress.
``root`` is the provider ``base_url`` without its trailing ``/v1``. Rendering the progress is a
pure helper (``PullProgressRenderer``) so the CLI owns stderr and tests assert exact text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pycodex.models.http import HttpResponse, open_request
from pycodex.protocol.errors import ModelError, OssSetupError

NOT_RUNNING = (
    "No running Ollama server detected. Start it with: `ollama serve` (after installing). "
    "Install instructions: https://github.com/ollama/ollama?tab=readme-ov-file#ollama"
)
PROBE_TIMEOUT_SECONDS = 10.0
PULL_IDLE_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One NDJSON line of ``/api/pull``."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


def host_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


async def json_request(
    method: str,
    url: str,
    body: dict[str, Any] | None,
    env: Mapping[str, str] | None,
    read_timeout: float,
) -> HttpResponse:
    """One request to a local server's JSON API (``body``, when given, is sent as JSON)."""
    return await open_request(
        method,
        url,
        headers={"Content-Type": "application/json"} if body is not None else {},
        body=json.dumps(body).encode() if body is not None else None,
        connect_timeout=PROBE_TIMEOUT_SECONDS,
        read_timeout=read_timeout,
        env=env,
    )


async def _get_json(url: str, env: Mapping[str, str] | None) -> Any:
    resp = await json_request("GET", url, None, env, PROBE_TIMEOUT_SECONDS)
    try:
        if resp.status != 200:
            raise OssSetupError(f"{url} answered HTTP {resp.status}")
        return json.loads(await resp.read())
    except ValueError as exc:
        raise OssSetupError(f"{url} did not return JSON: {exc}") from exc
    finally:
        resp.close()


def _has_model(tags: Any, model: str) -> bool:
    models = tags.get("models") if isinstance(tags, dict) else None
    names = {str(m.get("name")) for m in models or [] if isinstance(m, dict)}
    return model in names or (":" not in model and f"{model}:latest" in names)


async def ensure_oss_model(
    base_url: str,
    model: str,
    on_progress: Callable[[PullProgress], None],
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """Probe the server, look the model up, pull it if missing. Raises ``OssSetupError``."""
    root = host_root(base_url)
    try:
        resp = await json_request("GET", f"{root}/v1/models", None, env, PROBE_TIMEOUT_SECONDS)
    except ModelError as exc:
        raise OssSetupError(NOT_RUNNING) from exc
    resp.close()
    try:
        if _has_model(await _get_json(f"{root}/api/tags", env), model):
            return
        await _pull(root, model, on_progress, env)
    except OssSetupError:
        raise
    except ModelError as exc:
        raise OssSetupError(f"Ollama at {root}: {exc}") from exc


async def _pull(
    root: str,
    model: str,
    on_progress: Callable[[PullProgress], None],
    env: Mapping[str, str] | None,
) -> None:
    body = {"model": model, "stream": True}
    resp = await json_request("POST", f"{root}/api/pull", body, env, PULL_IDLE_TIMEOUT_SECONDS)
    try:
        if resp.status != 200:
            text = (await resp.read(4096)).decode("utf-8", "replace").strip()
            raise OssSetupError(f"Pull of {model} failed: HTTP {resp.status} {text}".rstrip())
        async for line in resp.lines():
            try:
                data = json.loads(line)
            except ValueError:
                continue  # tolerate a garbage line
            if not isinstance(data, dict):
                continue
            if data.get("error"):
                raise OssSetupError(f"Pull of {model} failed: {data['error']}")
            status = str(data.get("status", ""))
            total, done = data.get("total"), data.get("completed")
            on_progress(
                PullProgress(
                    status=status,
                    digest=str(data["digest"]) if data.get("digest") else None,
                    total=int(total) if isinstance(total, int | float) else None,
                    completed=int(done) if isinstance(done, int | float) else None,
                )
            )
            if status == "success":
                return
        raise OssSetupError(f"Pull of {model} failed: the stream ended before `success`")
    finally:
        resp.close()


class PullProgressRenderer:
    """Turns ``PullProgress`` into text for stderr, summing bytes over layer digests.

    ``\\rPulling model gpt-oss:20b... 1.23/13.00 GB (9%)``; plain statuses are shown inline
    (``pulling manifest`` is not); ``success`` ends the line.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self._total: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._width = 0

    def _line(self, text: str) -> str:
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        return f"\r{text}{pad}"

    def update(self, progress: PullProgress) -> str | None:
        if progress.status == "success":
            return "\n"
        if progress.digest and progress.total:
            self._total[progress.digest] = progress.total
            self._done[progress.digest] = progress.completed or 0
            return self._line(
                self.progress_text(sum(self._done.values()), sum(self._total.values()))
            )
        if not progress.status or progress.status == "pulling manifest":
            return None
        return self._line(f"Pulling model {self.model}... {progress.status}")

    def progress_text(self, done: int, total: int) -> str:
        pct = int(done * 100 / total) if total else 0
        return f"Pulling model {self.model}... {done / 1e9:.2f}/{total / 1e9:.2f} GB ({pct}%)"
