"""Operators\x27 tools: what the ops.* topics say about the running system."""
