"""Errors a user can fix: the CLI prints them as one line, the HTTP app as a 4xx."""


class UserError(ValueError):
    """Bad input (file, flag, request field); the message says what and where."""
