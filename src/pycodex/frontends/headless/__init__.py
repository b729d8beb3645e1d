"""`codex exec`: headless runs with human or JSONL output."""
