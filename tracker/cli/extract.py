"""``tracker extract SOURCE``: a draft forecast file from an article's predictions."""
