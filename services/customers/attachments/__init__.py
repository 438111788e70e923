"""Attachments (seed 004): files kept on an interaction or on the customer account (registration
papers, powers of attorney), typed from an administered catalogue, checked on their bytes, stored
through a storage interface with their SHA-256 checksum."""
