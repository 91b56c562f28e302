"""Passerelle's shared contracts and plumbing: events, topics, settings, broker and Redis factories."""
