"""Rules of notes that a request can break."""
from services.kit.problems import Forbidden, NotFound


class NoteNotFound(NotFound):
    type, title = "note-not-found", "Note not found"


class NoteAuthorWithoutDepartment(Forbidden):
    type, title = "note-author-without-department", "A user without a department cannot write notes"


class NoteDeletionForbidden(Forbidden):
    type, title = "note-deletion-forbidden", "Only a level 1 user with the permission delete_notes deletes notes"
