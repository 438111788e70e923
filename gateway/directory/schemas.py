"""Request and response shapes of the directory API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from gateway.models import PERMISSIONS
from services.kit.auth import RESOURCES
from services.kit.schemas import PageQuerySchema, page_of

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Use 1-40 lower-case letters, digits, '-' or '_'.")


class BranchCreateSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class BranchSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()


DepartmentCreateSchema = BranchCreateSchema
DepartmentSchema = BranchSchema


USER_LANGUAGES = ("es", "en", "ru", "vi")
LANGUAGE = {"description": "The language the console shows the user (es, en, ru, vi); null: their browser's"}


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9._-]{3,80}$",
                             error="Use 3-80 lower-case letters, digits, '.', '-' or '_'."))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    level = fields.Integer(required=True, validate=validate.Range(min=1, max=4))
    branch_id = fields.UUID(required=True)
    department_id = fields.UUID(load_default=None, allow_none=True)
    permissions = fields.List(fields.String(validate=validate.OneOf(PERMISSIONS)), load_default=list)
    queues = fields.List(fields.String(validate=CODE), load_default=list)
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(USER_LANGUAGES),
                             metadata=LANGUAGE)


class UserUpdateSchema(Schema):
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    password = fields.String(load_only=True, validate=validate.Length(min=10, max=200))
    level = fields.Integer(validate=validate.Range(min=1, max=4))
    branch_id = fields.UUID()
    department_id = fields.UUID(allow_none=True)
    permissions = fields.List(fields.String(validate=validate.OneOf(PERMISSIONS)))
    queues = fields.List(fields.String(validate=CODE))
    is_active = fields.Boolean()
    language = fields.String(allow_none=True, validate=validate.OneOf(USER_LANGUAGES), metadata=LANGUAGE)


class UserSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    level = fields.Integer()
    branch_id = fields.UUID()
    department_id = fields.UUID(allow_none=True)
    permissions = fields.List(fields.String())
    queues = fields.List(fields.String())
    is_active = fields.Boolean()
    language = fields.String(allow_none=True, metadata={
        "description": "The user's language (es, en, ru, vi), chosen under My account; null until chosen"})
    time_zone = fields.String(allow_none=True, metadata={
        "description": "The user's IANA time zone (such as America/Bogota), chosen under My account; null until chosen"})
    version = fields.Integer()


class AuditEntrySchema(Schema):
    id = fields.UUID()
    at = fields.AwareDateTime(metadata={"description": "When, in UTC"})
    kind = fields.String(metadata={"description": "What: login.succeeded, login.failed, login.locked, logout, "
                                                  "authorisation.refused, branch.created, department.created, "
                                                  "user.created, user.updated, user.unlocked, api_token.created, api_token.revoked"})
    actor_id = fields.UUID(allow_none=True, metadata={"description": "Who (none for a failed login)"})
    actor_username = fields.String(allow_none=True, metadata={"description": "Who, by username (as typed at a login)"})
    subject_id = fields.String(allow_none=True, metadata={"description": "The record acted on (user, token...)"})
    address = fields.String(allow_none=True, metadata={"description": "From where: the client address"})
    method = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    detail = fields.Dict(metadata={"description": "Fields changed (values only when not secret), reasons"})


AuditPageSchema = page_of(AuditEntrySchema, "AuditPage")


class AuditQuerySchema(PageQuerySchema):
    kind = fields.String(load_default=None, validate=validate.Length(min=1, max=60),
                         metadata={"description": "A kind, or a prefix ending in '.' (login.)"})
    actor_id = fields.UUID(load_default=None)
    actor_username = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    subject_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    address = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class ApiTokenCreateSchema(Schema):
    user_id = fields.UUID(required=True, metadata={"description": "The user the integration acts as"})
    name = fields.String(load_default="Integration", validate=validate.Length(min=1, max=200),
                         metadata={"description": "What the token is for (billing, telephony, reporting)"})
    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=366))
    read_only = fields.Boolean(load_default=False, metadata={"description": "Only GET: any write is a 403"})
    resources = fields.List(fields.String(validate=validate.OneOf(RESOURCES)), load_default=lambda: list(RESOURCES),
                            validate=validate.Length(min=1, max=len(RESOURCES)),
                            metadata={"description": "The resources the token may call (default: all); "
                                                     "another one answers 403"})


class ApiTokenSchema(Schema):
    """An API token as listed: never the token itself (it is shown once, at creation)."""

    id = fields.UUID()
    name = fields.String()
    user_id = fields.UUID()
    read_only = fields.Boolean()
    resources = fields.List(fields.String())
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoked_by = fields.UUID(allow_none=True)
    status = fields.String(metadata={"description": "active, expired or revoked"})
    version = fields.Integer(metadata={"description": "Send it as If-Match to revoke the token"})


class ApiTokenQuerySchema(PageQuerySchema):
    user_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(("active", "expired", "revoked")))


class ApiTokenCreatedSchema(ApiTokenSchema):
    """The answer to a creation: the only time the token is shown."""

    access_token = fields.String()
    token_type = fields.String()
    user = fields.Nested(UserSchema)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.AwareDateTime()
    refresh_token = fields.String(metadata={"description": "From login: renews the access token at "
                                                          "POST /auth/refresh until refresh_expires_at"})
    refresh_expires_at = fields.AwareDateTime()
    user = fields.Nested(UserSchema)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=4000))


class SignInLockSchema(Schema):
    user_id = fields.UUID()
    locked = fields.Boolean(metadata={"description": "Sign-in refused (429) until locked_until"})
    locked_until = fields.AwareDateTime(allow_none=True)
    failures = fields.Integer(metadata={"description": "Wrong passwords in a row counted so far"})


class PeopleQuerySchema(PageQuerySchema):
    q = fields.String(load_default="", validate=validate.Length(max=100), metadata={
        "description": "A fragment of the name or username, any case, with or without accents (\"sofia\" "
                       "finds Sofía); several words must all match. Empty: everyone in reach, by name."})
    id = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=100), metadata={
        "description": "Only these users (repeat the parameter), such as those already chosen in a form."})
    include_inactive = fields.Boolean(load_default=False)


class PersonSchema(Schema):
    """A user as a picker shows them: who, and where they work."""

    id = fields.UUID()
    username = fields.String()
    full_name = fields.String()
    level = fields.Integer()
    department_id = fields.UUID(allow_none=True)
    department_name = fields.String(allow_none=True)
    is_active = fields.Boolean()


PeoplePageSchema = page_of(PersonSchema, "PeoplePage")




def _known_time_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Not a known time zone, such as America/Bogota.") from None


class MySettingsSchema(Schema):
    """What every user chooses for themselves: the language and time zone the console shows them."""

    language = fields.String(allow_none=True, validate=validate.OneOf(USER_LANGUAGES), metadata={
        "description": "es, en, ru or vi; null forgets the choice"})
    time_zone = fields.String(allow_none=True, validate=[validate.Length(min=1, max=64), _known_time_zone],
                              metadata={"description": "An IANA time zone such as America/Bogota; null forgets "
                                                       "the choice"})


BranchPageSchema = page_of(BranchSchema, "BranchPage")
DepartmentPageSchema = page_of(DepartmentSchema, "DepartmentPage")
UserPageSchema = page_of(UserSchema, "UserPage")
ApiTokenPageSchema = page_of(ApiTokenSchema, "ApiTokenPage")
