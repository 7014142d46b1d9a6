"""The kinds of notification: who gets each is decided in events.py and reminders.py; here, what each says
(in the reader's language, from parameters stored in no language), where it leads, and how it is mailed
unless the person chose otherwise. Adding a kind is one entry here."""
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from improvement.labels import DECISION_LABELS, PHASE_LABELS
from kb.feedback.labels import FLAG_REASON_LABELS, FLAG_STATUS_LABELS


@dataclass(frozen=True)
class Kind:
    name: str
    label: object  # lazy text: the preference page's line
    default: str  # "now", "digest" or "off"
    says: Callable[[dict], str]
    endpoint: str
    link_args: Callable[[dict], dict]


def _article(p: dict) -> dict:
    return {"article_id": p["article_id"]}


def _improvement(p: dict) -> dict:
    return {"improvement_id": p["improvement_id"]}


def _none(p: dict) -> dict:
    return {}


def _label(labels: dict, code: str) -> str:
    return str(labels.get(code, code))


KINDS = {kind.name: kind for kind in (
    Kind("flag_raised", _l("Someone flagged an article I own"), "now",
         lambda p: _("%(who)s flagged “%(title)s”: %(reason)s.", who=p["by"], title=p["title"],
                     reason=_label(FLAG_REASON_LABELS, p["reason"])),
         "feedback.queue", _none),
    Kind("flag_resolved", _l("A flag I raised was resolved"), "now",
         lambda p: _("Your flag on “%(title)s” was resolved: %(outcome)s.", title=p["title"],
                     outcome=_label(FLAG_STATUS_LABELS, p["outcome"])),
         "feedback.mine", _none),
    Kind("article_submitted", _l("An article waits for review (publishers)"), "now",
         lambda p: _("“%(title)s” waits for review (submitted by %(who)s).", title=p["title"], who=p["by"]),
         "kb.article", _article),
    Kind("review_due", _l("An article I own is due for review within 14 days"), "digest",
         lambda p: _("“%(title)s” is due for review on %(date)s.", title=p["title"], date=p["due"]),
         "kb.article", _article),
    Kind("review_overdue", _l("An article I own is overdue for review"), "now",
         lambda p: _("“%(title)s” was due for review on %(date)s.", title=p["title"], date=p["due"]),
         "kb.article", _article),
    Kind("action_assigned", _l("An improvement action was given to me"), "now",
         lambda p: _("You own the action “%(action)s” of “%(title)s”, due %(date)s.", action=p["action"],
                     title=p["title"], date=p["due"]),
         "improvement.page", _improvement),
    Kind("action_due", _l("An action I own is due within 3 days"), "digest",
         lambda p: _("The action “%(action)s” of “%(title)s” is due on %(date)s.", action=p["action"],
                     title=p["title"], date=p["due"]),
         "improvement.page", _improvement),
    Kind("action_overdue", _l("An action I own is overdue"), "now",
         lambda p: _("The action “%(action)s” of “%(title)s” was due on %(date)s.", action=p["action"],
                     title=p["title"], date=p["due"]),
         "improvement.page", _improvement),
    Kind("improvement_phase", _l("An improvement I own moved to another phase"), "digest",
         lambda p: _("“%(title)s” moved from %(old)s to %(new)s.", title=p["title"],
                     old=_label(PHASE_LABELS, p["old"]), new=_label(PHASE_LABELS, p["new"])),
         "improvement.page", _improvement),
    Kind("improvement_decision", _l("An improvement I own got its decision"), "now",
         lambda p: _("The decision on “%(title)s”: %(decision)s.", title=p["title"],
                     decision=_label(DECISION_LABELS, p["decision"])),
         "improvement.page", _improvement),
    Kind("path_assigned", _l("A learning path was assigned to me"), "now",
         lambda p: _("The learning path “%(title)s” was assigned to you, due %(date)s.", title=p["title"],
                     date=p["due"]),
         "onboarding.mine", _none),
    Kind("path_due", _l("A learning path of mine is due within 7 days"), "digest",
         lambda p: _("Your learning path “%(title)s” is due on %(date)s.", title=p["title"], date=p["due"]),
         "onboarding.mine", _none),
    Kind("path_overdue", _l("A learning path of mine is overdue"), "now",
         lambda p: _("Your learning path “%(title)s” was due on %(date)s.", title=p["title"], date=p["due"]),
         "onboarding.mine", _none),
    Kind("read_again", _l("An article I confirmed changed and must be read again"), "now",
         lambda p: _("“%(title)s” changed (a major revision): read it again and confirm.", title=p["title"]),
         "kb.article", _article),
    Kind("trainee_overdue", _l("Someone I trained is overdue with a learning path"), "digest",
         lambda p: _("%(who)s is overdue with “%(title)s” (due %(date)s).", who=p["who"], title=p["title"],
                     date=p["due"]),
         "onboarding.progress_page", lambda p: {"path_id": p["path_id"]}),
)}


def text_of(kind: str, params: dict) -> str:
    """What the notification says, in the active language (a request's, or force_locale's)."""
    found = KINDS.get(kind)
    try:
        return found.says(params) if found else kind
    except KeyError:  # written by an older version with other parameters: still shown, never a 500
        return str(found.label)


def default_delivery(kind: str) -> str:
    return KINDS[kind].default if kind in KINDS else "off"
