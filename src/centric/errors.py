"""The errors centric raises for a user's mistake: the CLI shows them as one line, never a traceback."""


class CentricError(Exception):
    """Base of every error that is the user's to fix; the message says what to do."""
