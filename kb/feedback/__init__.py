"""Feedback on articles: votes, flags, reuse, view counts, content health and evidence for improvements."""
