"""Message templates per event type, channel and language: shipped defaults, administrators' edits."""
