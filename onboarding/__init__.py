"""Onboarding: learning paths of articles, assignments to people, acknowledgements of the revision read,
and short knowledge checks."""
