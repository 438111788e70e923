"""Forwarding /api/v1 to the service that owns each resource."""
