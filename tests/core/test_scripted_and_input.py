"""The scripted model on its own, and user input with images."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from pycodex.models.base import Completed, ModelEvent, OutputItemDone, Prompt
from pycodex.models.scripted import ScriptedModelClient, fail, hang, reply, shell_call
from pycodex.protocol.errors import ModelError
from pycodex.protocol.events import BackgroundEvent, TaskComplete
from pycodex.protocol.items import FunctionCallItem, InputImage, MessageItem
from pycodex.protocol.ops import UserInput
from tests.core.harness import make_config, run, start, until

PROMPT = Prompt(instructions="i", input=())


async def collect(model: ScriptedModelClient) -> list[ModelEvent]:
    return [event async for event in model.stream(PROMPT)]


def test_steps_play_in_order_and_prompts_are_recorded() -> None:
    model = ScriptedModelClient([shell_call(["ls"], call_id="c"), reply("done")])

    async def scenario():
        return await collect(model), await collect(model)

    first, second = run(scenario)
    items = [e.item for e in first if isinstance(e, OutputItemDone)]
    assert items == [FunctionCallItem(call_id="c", name="shell", arguments='{"command": ["ls"]}')]
    assert isinstance(first[-1], Completed) and isinstance(second[-1], Completed)
    assert model.prompts == [PROMPT, PROMPT] and model.remaining == 0


def test_errors_and_exhaustion_raise_model_error() -> None:
    model = ScriptedModelClient([fail(ModelError("boom"))])

    async def scenario():
        with pytest.raises(ModelError, match="boom"):
            await collect(model)
        with pytest.raises(ModelError, match="no more responses"):
            await collect(model)

    run(scenario)


def test_hang_waits_until_cancelled() -> None:
    model = ScriptedModelClient([hang()])

    async def scenario():
        task = asyncio.create_task(collect(model))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), 0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario)


def test_local_images_become_data_urls(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    (config.cwd / "shot.png").write_bytes(b"\x89PNG fake")

    async def scenario():
        codex, model = await start(config, [reply("seen")])
        await codex.submit(
            UserInput("look", images=("https://x/y.png",), local_images=("shot.png", "gone.png"))
        )
        return await until(codex, TaskComplete), model

    msgs, model = run(scenario)
    assert msgs[0] == BackgroundEvent(
        f"could not read image {config.cwd / 'gone.png'}: No such file or directory"
    )
    message = model.prompts[0].input[-1]
    assert isinstance(message, MessageItem)
    encoded = base64.b64encode(b"\x89PNG fake").decode()
    assert message.content[1:] == (
        InputImage("https://x/y.png"),
        InputImage(f"data:image/png;base64,{encoded}"),
    )
    assert message.text == "look"
