"""The `*** Begin Patch` edit engine: a standalone library (filled by the apply_patch issue)."""
