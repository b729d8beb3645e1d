"""Plain data shared by every layer: ops in, events out, response items, policies, errors.

This package imports nothing else from pycodex. Wire names (the ``type`` tags) are part of
the contract with front ends, session files and the MCP server: they are tested.
"""
