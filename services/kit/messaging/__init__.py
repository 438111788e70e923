"""Events over kombu: envelope, topology, outbox relay, idempotent consumers, dead letters."""
