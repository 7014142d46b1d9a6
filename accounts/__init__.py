"""Accounts: users, roles and permissions, login, API tokens, people admin and one's own account."""
