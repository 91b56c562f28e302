"""The matching service."""
