"""Service levels of cases: business calendars, targets, due instants, and the periodic check."""
