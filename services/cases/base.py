"""The cases service's declarative base: every table of its own database hangs on this metadata."""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.kit.db import new_metadata
from services.kit.directory_replica import define_revoked_tokens, define_users_replica
from services.kit.tasks import define_periodic_leases


class Base(DeclarativeBase):
    metadata = new_metadata()


directory_users = define_users_replica(Base.metadata)
periodic_leases = define_periodic_leases(Base.metadata)  # the SLA check's runs (kit.tasks)
revoked_tokens = define_revoked_tokens(Base.metadata)
