"""Process spawning under the OS sandbox: the only place that starts processes."""
