"""Events the notifications service emits (routing key = name). None yet: it only consumes."""

EMITTED: dict[str, str] = {}
