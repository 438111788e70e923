"""Rules of attachments and their catalogue that a request can break."""
from services.kit.problems import Conflict, DomainError, Forbidden, InvalidFields, NotFound


class AttachmentNotFound(NotFound):
    type, title = "attachment-not-found", "Attachment not found"


class AttachmentTypeNotFound(NotFound):
    type, title = "attachment-type-not-found", "No such attachment type"


class AttachmentTypeTaken(Conflict):
    type, title = "attachment-type-taken", "An attachment type with this name exists"


class AttachmentTypeFixed(Conflict):
    type, title = "attachment-type-fixed", "This attachment type is part of the system and does not change"


class AttachmentCatalogueAdministratorsOnly(Forbidden):
    type, title = "attachment-catalogue-administrators-only", "Only level 1 administers the attachment types"


class FileRefused(InvalidFields):
    type, title = "file-refused", "The file is not accepted"


class FileTooLarge(DomainError):
    type, status, title = "file-too-large", 413, "The file is larger than allowed"
