"""Administration in the browser: the directory, queues and case types, each change sent to the API
with the If-Match of the record read, and the API's refusals shown at their fields."""
from gateway.console.admin import (  # noqa: F401 - they add their views
    case_types, catalogues, dead_letters, directory, interaction_catalogues, queues, records, reminders, templates,
)
