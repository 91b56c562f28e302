"""Domain errors; the HTTP layer maps each to a 4xx."""


class DomainError(Exception):
    """Base of the errors a caller can correct."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class FileNumberTaken(Conflict):
    """A file number already names another signing, or an erased person: what may be said of it depends on
    whose territory it is in (`department`, None when unknown)."""

    def __init__(self, message: str, department: str | None) -> None:
        self.department = department
        super().__init__(message)


class InvalidFields(DomainError):
    """Values that pass the schema but break a rule that needs the clock or the records: 422 per field."""

    def __init__(self, problems: list[tuple[tuple[str, ...], str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(loc)}: {message}" for loc, message in problems))

    def as_detail(self) -> list[dict[str, object]]:
        return [{"loc": ["body", *loc], "msg": message, "type": "value_error"} for loc, message in self.problems]


class Erased(DomainError):
    """The person's data was erased: 410, with when."""
