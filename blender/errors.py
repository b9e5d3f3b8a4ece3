class AudienceError(Exception):
    """Something the user can fix: the message says what and where. Nothing was changed."""
