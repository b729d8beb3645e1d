"""Opt-in: pycodex against a real third-party server, llama-cpp-python's OpenAI server.

The model is a tiny random-weight llama GGUF that the test writes itself (~0.5 MB, well
under a second with the ``gguf`` package): it answers gibberish, which is fine, because this
tests the wire (request validation, streaming, usage), not the answers.

How to run it (not a dev dependency: building ``llama-cpp-python`` compiles llama.cpp, which
takes minutes, so the test is skipped, with its reason, when the packages are absent)::

    .venv/bin/pip install 'llama-cpp-python[server]' gguf
    .venv/bin/pytest tests/local_models/test_real_llamacpp.py -v -rs

What it showed (llama-cpp-python 0.3.36): the server refuses ``"content": null`` on an
assistant message and the ``developer`` role with HTTP 500 and a pydantic message (so both
fixes matter); it sends no ``usage`` in streams even with ``stream_options.include_usage``
(pycodex shows an estimate); it ends streams with ``[DONE]``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.schema import ModelProviderInfo
from pycodex.models.base import (
    Completed,
    FunctionTool,
    ModelRequestOptions,
    OutputItemDone,
    Prompt,
)
from pycodex.models.client import create_model_client
from pycodex.models.local import list_models
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputText,
    MessageItem,
    user_message,
)
from pycodex.protocol.policy import WireApi
from tests.e2e.harness import base_env, codex, make_repo, write_config

# Not imported here: llama_cpp leaves /dev/null handles open at import (ResourceWarning);
# the server runs in its own process anyway.
if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("fastapi") is None:
    pytest.skip("llama-cpp-python[server] is not installed", allow_module_level=True)
gguf = pytest.importorskip("gguf", reason="the gguf package is not installed")
np = pytest.importorskip("numpy", reason="numpy is not installed")

START_TIMEOUT = 120.0
# The tiny vocabulary is mostly bytes: about one token per character of prompt. 4096 holds
# pycodex's compact prompt (~3k characters) but not the full one (~8k).
N_CTX = 4096


def write_tiny_gguf(path: Path) -> None:
    """A 2-layer llama with a byte-fallback SentencePiece vocabulary and a plain template."""
    rng = np.random.default_rng(0)
    n_embd, n_ff, n_head, n_layer = 64, 128, 4, 2
    tokens = ["<unk>", "<s>", "</s>", *(f"<0x{i:02X}>" for i in range(256))]
    types = [2, 3, 3, *([6] * 256)]  # unknown, control, control, bytes
    words = ["▁", "a", "e", "i", "o", "t", "s", "▁the", "{", "}", '"', ":", ","]
    tokens += words
    types += [1] * len(words)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-random")
    w.add_context_length(N_CTX)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * len(tokens))
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_chat_template(
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    )

    def tensor(name: str, *shape: int) -> None:
        w.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    tensor("token_embd.weight", len(tokens), n_embd)
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            tensor(f"blk.{i}.{name}.weight", n_embd, n_embd)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, np.float32))
        tensor(f"blk.{i}.ffn_gate.weight", n_ff, n_embd)
        tensor(f"blk.{i}.ffn_up.weight", n_ff, n_embd)
        tensor(f"blk.{i}.ffn_down.weight", n_embd, n_ff)
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    tensor("output.weight", len(tokens), n_embd)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on the tiny model; yields its ``/v1`` base URL."""
    model = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    write_tiny_gguf(model)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias",
         "tiny", "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(N_CTX)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    ready = threading.Event()
    log: list[str] = []

    def watch() -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            log.append(raw.decode("utf-8", "replace"))
            if b"Uvicorn running on" in raw:
                ready.set()
        ready.set()  # exited: let the test fail with the log

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        if not ready.wait(START_TIMEOUT) or proc.poll() is not None:
            pytest.fail("llama_cpp.server did not start:\n" + "".join(log[-20:]))
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        watcher.join(timeout=20)  # EOF on stderr once the process is gone
        if proc.stderr is not None:
            proc.stderr.close()


SHELL = FunctionTool(
    "shell",
    "Runs a shell command",
    {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}},
)


def _post(base_url: str, body: dict[str, Any]) -> tuple[int, str]:
    req = urllib.request.Request(
        base_url + "/chat/completions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def test_the_real_server_refuses_null_content_and_developer(llama_server: str) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "shell", "arguments": "{}"}}
    null = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    status, text = _post(llama_server, {"model": "tiny", "messages": null, "max_tokens": 2})
    print(f"content null -> {status}: {text[:160]}")
    assert status >= 400 and "validation error" in text
    developer = [{"role": "developer", "content": "hi"}]
    status, text = _post(llama_server, {"model": "tiny", "messages": developer, "max_tokens": 2})
    print(f"developer role -> {status}: {text[:160]}")
    assert status >= 400


def test_pycodex_history_streams_from_the_real_server(llama_server: str) -> None:
    provider = ModelProviderInfo(
        id="llamacpp", name="llama.cpp", base_url=llama_server, wire_api=WireApi.CHAT
    )
    options = ModelRequestOptions(model="tiny", max_output_tokens=8)
    client = create_model_client(provider, options, env={})
    history = (
        user_message("list files"),
        FunctionCallItem("call_1", "shell", '{"command": ["ls"]}'),
        FunctionCallOutputItem("call_1", "a.txt"),
        MessageItem("developer", (InputText("Prefer short answers."),)),
        user_message("and now?"),
    )

    async def main() -> list[Any]:
        return [e async for e in client.stream(Prompt("be brief", history, (SHELL,)))]

    events = asyncio.run(asyncio.wait_for(main(), 120))
    done = events[-1]
    assert isinstance(done, Completed)
    print(
        f"usage: {done.usage}; items: {[e.item for e in events if isinstance(e, OutputItemDone)]}"
    )
    assert done.usage is not None and done.usage.input_tokens > 0
    models = asyncio.run(list_models(llama_server))
    assert models == ["tiny"]


@pytest.fixture
def exec_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir()
    return home, base_env(home)


def test_codex_exec_full_prompt_overflows_and_is_reported(
    llama_server: str, exec_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The full prompt is larger than the server's context: the server answers 200 and an
    empty body (its error happens after the headers). pycodex retries, then fails the turn
    saying so -- never a silently empty success. (No fit warning here: pycodex estimates
    4 characters per token, this byte-level toy vocabulary needs one token per character.)"""
    home, env = exec_env
    repo = make_repo(tmp_path / "repo")
    write_config(
        home,
        llama_server,
        wire="chat",
        env_key=None,
        top=f"model_max_output_tokens = 8\nmodel_context_window = {N_CTX}\n"
        'model_instructions_profile = "full"',
    )
    res = codex(["exec", "say hi"], cwd=repo, env=env, timeout=180)
    print(res.out[-800:], res.err[-400:])
    assert res.rc == 1
    assert "the server answered 200 with an empty body" in res.out + res.err


def test_codex_exec_compact_prompt_completes_a_turn(
    llama_server: str, exec_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The compact prompt (automatic for windows up to 16k; asked for explicitly here) fits:
    a whole turn runs, with the usage the server did not send estimated."""
    home, env = exec_env
    repo = make_repo(tmp_path / "repo")
    write_config(
        home,
        llama_server,
        wire="chat",
        env_key=None,
        top=f"model_max_output_tokens = 8\nmodel_context_window = {N_CTX}\n"
        'model_instructions_profile = "compact"',
    )
    res = codex(["exec", "--json", "say hi"], cwd=repo, env=env, timeout=180)
    print(res.out[-600:], res.err[-400:])
    assert res.rc == 0, res.out + res.err
    done = [e for e in res.events if e["type"] == "turn.completed"]
    assert len(done) == 1 and done[0]["usage"]["estimated"] is True
