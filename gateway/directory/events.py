"""Events the gateway's directory emits (routing key = name); every service replicates users."""

EMITTED = {
    "branch.created.v1": "A branch was created; data: id, code, name.",
    "department.created.v1": "A department was created; data: id, code, name.",
    "user.created.v1": "A user was created; data: id, username, full_name, email, level, branch_id, department_id, "
                       "permissions, queues, is_active, token_version, version (never the password).",
    "user.updated.v1": "A user changed; data: the same snapshot as user.created, with the new version "
                       "and token_version (tokens issued under an older one are refused).",
    "token.revoked.v1": "An access token was ended by logout; data: token_id (the token's jti), user_id, "
                        "expires_at (after which it would be refused anyway).",
}
