"""Deliveries: one message to one address by e-mail, SMS or WhatsApp, sent by a Celery task once."""
