"""Reactions of the customers service to other services' events."""
from services.customers.base import revoked_tokens
from services.customers.models import directory_users
from services.customers.surveys import HANDLERS as survey_answers
from services.kit.directory_replica import token_revoker, user_replicator

HANDLERS = [user_replicator(directory_users), token_revoker(revoked_tokens), *survey_answers]
