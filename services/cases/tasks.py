"""Periodic jobs of the cases service, scheduled by `caredesk beat` and run by `caredesk tasks cases`."""
from services.cases.claims import expire_claims
from services.cases.queues.history import snapshot_minutes, take_snapshots
from services.cases.sla.check import check_sla
from services.kit.tasks import PeriodicJob

# Each run takes the job's lease in the cases database first: several beats never double-run it.
PERIODIC_JOBS = [PeriodicJob("cases.check_sla", check_sla, every_seconds=60.0),
                 PeriodicJob("cases.expire_claims", expire_claims, every_seconds=30.0),
                 PeriodicJob("cases.queue_snapshots", take_snapshots, every_seconds=snapshot_minutes() * 60.0)]
