"""Feedback pages: vote, flag, 'this solved it', the flag queue, my flags, content health."""
from flask import Blueprint

from core.auth import require

bp = Blueprint("feedback", __name__)


@bp.get("/kb/flags")
@require("write_articles")
def queue():
    return "STUB"


@bp.get("/kb/health")
@require("see_content_health")
def health():
    return "STUB"
