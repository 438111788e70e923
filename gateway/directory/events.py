"""Events the gateway's directory emits (routing key = name), each with its payload schema; every
service replicates users and revoked tokens."""
from __future__ import annotations

from gateway.models import PERMISSIONS
from services.kit.auth import BRANCH, COMPANY, DEPARTMENT, OWN
from services.kit.contracts import Event, Payload, declare, fields, validate


class BranchSnapshot(Payload):
    """A branch or a department of the company."""

    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class UserSnapshot(Payload):
    """A user as other services replicate it (never the password)."""

    id = fields.UUID(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    level = fields.Integer(required=True, validate=validate.OneOf((COMPANY, BRANCH, DEPARTMENT, OWN)),
                           metadata={"description": "access level: 1 company, 2 branch, 3 department, 4 own"})
    branch_id = fields.UUID(required=True, allow_none=True)
    department_id = fields.UUID(required=True, allow_none=True)
    permissions = fields.List(fields.String(validate=validate.OneOf(PERMISSIONS)), required=True)
    queues = fields.List(fields.String(), required=True, metadata={"description": "codes of the user's queues"})
    is_active = fields.Boolean(required=True)
    token_version = fields.Integer(required=True, metadata={
        "description": "tokens issued under an older one are refused"})
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class TokenRevoked(Payload):
    """An access token ended by logout, or an integration's API token revoked."""

    token_id = fields.String(required=True, metadata={"description": "the token's jti"})
    user_id = fields.UUID(required=True)
    expires_at = fields.AwareDateTime(required=True, metadata={
        "description": "after which it would be refused anyway"})


EMITTED = declare(
    "gateway",
    Event("branch.created.v1", "A branch was created.", BranchSnapshot),
    Event("department.created.v1", "A department was created.", BranchSnapshot),
    Event("user.created.v1", "A user was created.", UserSnapshot),
    Event("user.updated.v1", "A user changed; the same snapshot as user.created, with the new version and "
                             "token_version (tokens issued under an older one are refused).", UserSnapshot),
    Event("token.revoked.v1", "An access token was ended by logout, or an integration's API token revoked.",
          TokenRevoked),
)
