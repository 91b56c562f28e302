"""Passerelle: the runtime around the services — embedded stack, runner, demo and CLI."""
