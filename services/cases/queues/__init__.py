"""Department queues: calendars, SLA targets, members, statistics."""
