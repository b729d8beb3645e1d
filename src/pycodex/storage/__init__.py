"""Everything written under `$CODEX_HOME`: auth, session rollouts, prompt history."""
