"""Onboarding pages (STUB: to be built)."""
from flask import Blueprint

from core.auth import require

bp = Blueprint("onboarding", __name__)


@bp.get("/onboarding")
@require("read")
def mine():
    return "STUB"


@bp.get("/onboarding/paths")
@require("build_paths")
def paths():
    return "STUB"
