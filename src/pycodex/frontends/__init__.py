"""Front ends: each speaks only protocol to core."""
