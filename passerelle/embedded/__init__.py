"""Real Kafka-protocol broker and Redis started by the project itself, on free loopback ports."""
