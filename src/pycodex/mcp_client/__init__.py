"""MCP servers as tools (SPEC §7): ``[mcp_servers.NAME]`` servers offered to the model.

Light modules (no SDK import): ``naming`` (``server__tool``), ``schema`` (inputSchema ->
function parameters), ``results`` (CallToolResult -> model text), ``env`` (a stdio
server's environment), ``records`` (the data core sees). Heavy ones, imported only when a
server is configured: ``connection`` (one server, one owner task) and ``manager`` (all of
them: concurrent start, restart on use, shutdown).
"""
