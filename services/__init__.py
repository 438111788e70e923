"""Caredesk services: customers, cases and notifications, built on the shared kit."""
