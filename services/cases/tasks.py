"""Periodic jobs of the cases service: `caredesk periodic cases` runs them (and `caredesk worker cases`
beside the relay and consumers in the embedded mode)."""
from services.cases.sla.check import run_sla_loop

# Each job runs as ``job(database, stop=threading.Event)`` until stop is set.
PERIODIC_JOBS = [run_sla_loop]
