"""MCP servers as tools (filled by the MCP issue)."""
