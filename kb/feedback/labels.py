"""Flag reasons and outcomes as people read them."""
from flask_babel import lazy_gettext as _l

FLAG_REASON_LABELS = {"outdated": _l("Outdated"), "wrong": _l("Wrong"), "unclear": _l("Unclear"),
                      "missing_step": _l("A step is missing")}
FLAG_STATUS_LABELS = {"open": _l("Waiting for the owner"), "fixed": _l("Fixed"), "dismissed": _l("Dismissed")}
EVIDENCE_KINDS = ("flag", "votes", "search")


def for_templates() -> dict:
    return {"flag_reason_labels": FLAG_REASON_LABELS, "flag_status_labels": FLAG_STATUS_LABELS}
