"""The PDCA improvement register: improvements, root causes, actions, metrics and measurements, the
measured effect, charts, dashboard and API. Uses kb (articles) and core; shows its parts on kb's pages
through hooks (improvement.kb_pages)."""
from flask import Flask


def init_app(app: Flask) -> None:
    from core.web import csrf
    from improvement import api, cli, kb_pages, labels, metric_views, views, work_views
    app.jinja_env.globals.update(labels.for_templates())
    app.register_blueprint(views.bp)
    app.register_blueprint(work_views.bp)
    app.register_blueprint(metric_views.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # core.api checks the CSRF header itself for session-authenticated writes
    app.cli.add_command(cli.group)
    kb_pages.init_app(app)
