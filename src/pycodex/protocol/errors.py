"""The one error tree of pycodex.

Foreign exceptions are mapped to these at the edge that saw them (``raise ... from exc``).
Every ``CodexError`` renders as one line for the user (``str(err)``) and carries the exit
status a command should end with. Tool failures are *not* exceptions: they are data sent
back to the model.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CodexError(Exception):
    """Base of every error pycodex raises on purpose."""

    exit_code: int = EXIT_FAILURE


class UsageError(CodexError):
    """Bad command-line usage."""

    exit_code = EXIT_USAGE


class ConfigError(CodexError):
    """Invalid configuration: one line naming where, which key, expected and found."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.expected = expected
        self.found = found
        self.hint = hint
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        text = where + (f"`{key}`: " if key else "") + message
        if expected is not None:
            text += f": expected {expected}"
            if found is not None:
                text += f", found {found}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class AuthError(CodexError):
    """No usable credentials (missing env key, not logged in)."""


class ModelError(CodexError):
    """The model provider could not give a response."""

    retryable: bool = False
    max_retries: int | None = None  # a tighter retry budget for this error (None: the provider's)


class ProviderHttpError(ModelError):
    """A non-success HTTP status from the provider."""

    def __init__(self, status: int, body: str, retry_after: float | None = None) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.retryable = status == 429 or status >= 500
        super().__init__(f"unexpected status {status}: {body}".rstrip(": "))


class ProviderConnectionError(ModelError):
    """The provider could not be reached (DNS, refused, TLS, reset before a response)."""

    retryable = True


class StreamDisconnected(ModelError):
    """The SSE stream ended or went idle before the response completed."""

    retryable = True


class SandboxError(CodexError):
    """The requested sandbox cannot be provided on this machine."""


class OssSetupError(CodexError):
    """The local model server (Ollama) is not usable."""
