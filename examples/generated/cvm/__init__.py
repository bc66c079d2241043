"""Generated cvm clients, by version."""
