"""Ollama's native endpoints as the scripted server answers them.

Just enough of ``/api/version``, ``/api/tags``, ``/api/pull`` (NDJSON progress) and the
OpenAI-style ``/v1/models`` list for the ``--oss`` bootstrap: probe, look up, pull.
Pure functions over a model list; the server owns the list and its lock.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.support.wire_render import CREATED_AT

OLLAMA_VERSION = "0.11.4"
MODIFIED_AT = "2025-08-05T12:00:00.000000000Z"
# Two layers, each reported in a few progress steps, like a real pull.
PULL_LAYERS: tuple[tuple[str, int], ...] = (("model", 13_780_000_000), ("params", 18_000))
PULL_STEPS = 4


def digest_for(model: str, layer: str) -> str:
    return "sha256:" + hashlib.sha256(f"{model}/{layer}".encode()).hexdigest()


def tags_body(models: list[str]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": m,
                "model": m,
                "modified_at": MODIFIED_AT,
                "size": PULL_LAYERS[0][1],
                "digest": digest_for(m, "manifest")[7:],
                "details": {"format": "gguf", "family": m.split(":", 1)[0]},
            }
            for m in models
        ]
    }


def models_body(models: list[str]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": CREATED_AT, "owned_by": "library"}
            for m in models
        ],
    }


def pull_lines(model: str, error: str | None) -> list[bytes]:
    """NDJSON progress of a pull: manifest, per-digest progress, verify, success.

    With ``error`` the stream reports ``{"error": ...}`` after the manifest line, as Ollama
    does for an unknown model (HTTP status stays 200).
    """
    lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
    if error is not None:
        lines.append({"error": error})
    else:
        for layer, total in PULL_LAYERS:
            digest = digest_for(model, layer)
            status = f"pulling {digest[7:19]}"
            lines.append({"status": status, "digest": digest, "total": total})
            for step in range(1, PULL_STEPS + 1):
                done = total * step // PULL_STEPS
                lines.append(
                    {"status": status, "digest": digest, "total": total, "completed": done}
                )
        lines += [
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ]
    return [(json.dumps(line) + "\n").encode() for line in lines]
