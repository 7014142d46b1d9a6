"""What users call the codes stored in the database, in their language."""
from flask_babel import lazy_gettext as _l

TYPE_LABELS = {
    "knowledge_article": _l("Knowledge article"),
    "best_practice": _l("Best practice"),
    "service_standard": _l("Service standard"),
    "procedure": _l("Procedure"),
    "faq": _l("FAQ"),
}
STATE_LABELS = {"draft": _l("Draft"), "review": _l("In review"), "published": _l("Published"),
                "archived": _l("Archived")}
AUDIENCE_LABELS = {"staff": _l("Staff"), "trainees": _l("Trainees"), "public": _l("Public")}
LANGUAGE_LABELS = {"en": "English", "zh": "中文"}
ACTION_LABELS = {"submit": _l("Submit for review"), "publish": _l("Publish"), "return": _l("Return to draft"),
                 "archive": _l("Archive"), "unpublish": _l("Unpublish"), "reopen": _l("Reopen as draft")}

EVENT_LABELS = {"create": _l("created"), "revise": _l("edited"), "import": _l("imported"),
                "submit": _l("submitted for review"), "publish": _l("published"), "return": _l("returned to draft"),
                "archive": _l("archived"), "unpublish": _l("unpublished"), "reopen": _l("reopened as draft"),
                "reviewed": _l("confirmed as still right")}


def for_templates() -> dict:
    return {"type_labels": TYPE_LABELS, "state_labels": STATE_LABELS, "audience_labels": AUDIENCE_LABELS,
            "action_labels": ACTION_LABELS, "event_labels": EVENT_LABELS,
            "language_labels": LANGUAGE_LABELS}
