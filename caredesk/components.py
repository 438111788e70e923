"""The four deployable components and what each consists of: one table to wire processes from."""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from services.kit.settings import ServiceSettings, load_settings


@dataclass(frozen=True)
class Component:
    name: str
    package: str
    default_port: int

    @property
    def module(self):
        return importlib.import_module(self.package)

    @property
    def metadata(self):
        return importlib.import_module(self.package + ".models").Base.metadata

    @property
    def migrations(self) -> Path:
        return Path(self.module.__file__).parent / "migrations"

    @property
    def handlers(self) -> list:
        if importlib.util.find_spec(self.package + ".handlers") is None:
            return []
        return importlib.import_module(self.package + ".handlers").HANDLERS

    @property
    def periodic_jobs(self) -> list:
        if importlib.util.find_spec(self.package + ".tasks") is None:
            return []
        return importlib.import_module(self.package + ".tasks").PERIODIC_JOBS

    @property
    def wsgi_target(self) -> str:
        return f"{self.package}:create_app()"

    def settings(self, **overrides) -> ServiceSettings:
        return load_settings(self.name, **overrides)


COMPONENTS = {
    component.name: component for component in (
        Component("gateway", "gateway", 8000),
        Component("customers", "services.customers", 8001),
        Component("cases", "services.cases", 8002),
        Component("notifications", "services.notifications", 8003),
    )
}
SERVICES = [name for name in COMPONENTS if name != "gateway"]
# Services with Celery tasks or periodic jobs: each has a task queue `caredesk tasks <service>` serves.
TASK_SERVICES = ["cases", "notifications"]
