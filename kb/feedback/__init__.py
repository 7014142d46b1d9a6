"""Feedback on articles: votes, flags, reuse, view counts, content health and evidence for improvements."""
from flask import Flask


def init_app(app: Flask) -> None:
    from kb.feedback import view_counts, views
    from kb.feedback.labels import for_templates
    app.jinja_env.globals.update(for_templates())
    view_counts.init_app(app)
    app.register_blueprint(views.bp)
