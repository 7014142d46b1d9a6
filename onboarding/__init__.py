"""Onboarding: learning paths of articles, assignments to people, acknowledgements of the revision read,
and short knowledge checks."""
from flask import Flask, render_template
from flask_login import current_user


def article_end(article) -> str:
    """The end of an article's page (kb's "article-end" hook): 'I have read and understood this' and the
    article's knowledge check."""
    from onboarding import reading
    return render_template("onboarding/_article_end.html", article=article,
                           reading=reading.status(article, current_user))


def init_app(app: Flask) -> None:
    from core import hooks
    from onboarding import check_views, views
    app.register_blueprint(views.bp)
    app.register_blueprint(check_views.bp)
    hooks.register(app, "article-end", article_end)
