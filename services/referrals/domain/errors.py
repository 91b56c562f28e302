"""Domain errors; the HTTP layer maps each to a 4xx."""


class DomainError(Exception):
    """Base of the errors a caller can correct."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass
