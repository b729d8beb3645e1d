"""`codex mcp`: pycodex as an MCP server on stdio, with the tools `codex` and `codex-reply`.

``tools`` (schemas, argument checking, the ``config`` map as ``-c`` overrides), ``relay``
(one turn: events out as ``codex/event``, approvals as ``elicitation/create``), ``sessions``
(one core per session), ``transport`` (stdio framing with JSON-RPC parse errors), ``server``
(the SDK's kernel and the run loop). The MCP SDK is imported only here, when it serves.
"""
