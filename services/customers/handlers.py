"""Reactions of the customers service to other services' events."""
from services.customers.models import directory_users
from services.kit.directory_replica import user_replicator

HANDLERS = [user_replicator(directory_users)]
