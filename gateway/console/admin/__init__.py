"""Administration in the browser: the directory, queues and case types, each change sent to the API
with the If-Match of the record read, and the API's refusals shown at their fields."""
from gateway.console.admin import case_types, catalogues, directory, queues, records, reminders, templates  # noqa: F401 - they add their views
