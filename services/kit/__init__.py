"""Shared kit: settings, database, outbox/inbox messaging, auth, problems, logging, metrics, app."""
