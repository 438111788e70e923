"""Bulk change of preferred sales agent (seed 001): a change proposed with its counts, then confirmed
once; its own aggregate beside the customer card."""
