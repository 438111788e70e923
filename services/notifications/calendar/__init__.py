"""Calendar (seeds 002, 003): follow-ups as iCalendar invitations, and private and team feeds."""
