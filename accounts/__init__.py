"""Accounts: users, roles and permissions, login, API tokens, people admin and one's own account."""
from flask import Flask


def init_app(app: Flask) -> None:
    from accounts import auth, cli, people_views, tokens, views
    from accounts.labels import ROLE_LABELS
    auth.login_manager.init_app(app)
    auth.login_manager.request_loader(tokens.load_user_from_request)
    app.extensions["babel"].locale_selector = views.pick_locale
    app.context_processor(views.language_choice)
    app.jinja_env.globals["role_labels"] = ROLE_LABELS
    app.register_blueprint(views.bp)
    app.register_blueprint(people_views.bp)
    app.cli.add_command(cli.users)
