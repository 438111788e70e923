"""Subscriber lines (CTN): number, status, SIM, tariff plan history, PIN; part of the customer's card."""
