"""Feedback on articles: 'Did this help?' votes, flags and their outcome, and reuse ('this solved it')."""


def panel(article, user):
    """What the article page shows of feedback for `user` (STUB: to be built)."""
    return None
