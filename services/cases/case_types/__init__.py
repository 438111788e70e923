"""Case types: the target queue, the default priority, the form, and routing rules."""
