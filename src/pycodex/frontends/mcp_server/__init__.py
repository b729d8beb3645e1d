"""`codex mcp`: pycodex as an MCP server (filled by the MCP issue)."""
