"""Consents (seed 004): which communication kinds or contract clauses a customer or one of its contacts
agreed to, from an administered catalogue; every record kept as history, the latest one in force."""
