"""Turn a ``UserInput`` op into the user message item (local images become data URLs)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.items import MessageItem, user_message
from pycodex.protocol.ops import UserInput


@dataclass(frozen=True, slots=True)
class UserMessage:
    item: MessageItem
    problems: tuple[str, ...] = ()  # images that could not be read (the text still goes)


_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
}
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
)


class NotAnImage(ValueError):
    """The file is not an image the model APIs take."""


def image_data_url(path: Path) -> str:
    """``data:<mime>;base64,...`` of an image file (mime from content, then extension).
    Raises ``OSError`` when unreadable, ``NotAnImage`` when it is not an image."""
    data = path.read_bytes()
    mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
    if mime is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = "image/webp"
    mime = mime or _IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise NotAnImage(f"{path} is not an image (png, jpeg, gif, webp, bmp)")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def user_input_message(op: UserInput, cwd: Path) -> UserMessage:
    urls = list(op.images)
    problems: list[str] = []
    for raw in op.local_images:
        path = cwd / raw
        try:
            urls.append(image_data_url(path))
        except OSError as exc:
            problems.append(f"could not read image {path}: {exc.strerror or exc}")
        except NotAnImage as exc:
            problems.append(str(exc))
    return UserMessage(user_message(op.text, tuple(urls)), tuple(problems))
