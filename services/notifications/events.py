"""Events the notifications service emits (routing key = name), each with its payload schema.
None yet: it only consumes."""
from __future__ import annotations

from services.kit.contracts import declare

EMITTED = declare("notifications")
