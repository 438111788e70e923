"""Interactions (seeds 002, 003, 004): one record per contact with a customer or the prospect "0",
with the administered reason tree and its macros, scripts and knowledge articles, points of contact,
not-reached attempts, the timing block, "new" for the next contract, and scheduled follow-ups."""
