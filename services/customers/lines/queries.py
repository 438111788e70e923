"""Read side of subscriber lines."""
from __future__ import annotations

from services.customers.lines.models import Line


def line_dict(line: Line) -> dict:
    return {
        "id": line.id, "number": line.number, "status": line.status, "status_changed_at": line.status_changed_at,
        "service_type": line.service_type, "network_standard": line.network_standard, "iccid": line.iccid,
        "activated_on": line.activated_on, "tariff_plan": line.tariff_plan,
        "tariff_effective_on": line.tariff_effective_on, "billing_group": line.billing_group,
        "has_pin": line.has_pin, "pin_locked_until": line.pin_lock_in_force(),
        "tariff_history": [{"tariff_plan": t.tariff_plan, "effective_on": t.effective_on,
                            "recorded_at": t.recorded_at}
                           for t in sorted(line.tariff_history, key=lambda t: (t.effective_on, t.recorded_at),
                                           reverse=True)],
    }
