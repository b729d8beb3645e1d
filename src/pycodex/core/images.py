"""Turn a ``UserInput`` op into the user message item (local images become data URLs)."""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.items import MessageItem, user_message
from pycodex.protocol.ops import UserInput


@dataclass(frozen=True, slots=True)
class UserMessage:
    item: MessageItem
    problems: tuple[str, ...] = ()  # images that could not be read (the text still goes)


def image_data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def user_input_message(op: UserInput, cwd: Path) -> UserMessage:
    urls = list(op.images)
    problems: list[str] = []
    for raw in op.local_images:
        path = cwd / raw
        try:
            urls.append(image_data_url(path))
        except OSError as exc:
            problems.append(f"could not read image {path}: {exc.strerror or exc}")
    return UserMessage(user_message(op.text, tuple(urls)), tuple(problems))
