"""Every route, called as every role and as an anonymous visitor, answered as ONE table says.

A new route fails this test until it is added to the table. "Allowed" means the request reached the
view (any answer below 500 but a refusal); "refused" means 403, 401, or the login page. A write is
sent with a valid CSRF token, so that CSRF cannot hide a missing role check.
"""
from datetime import timedelta

import pytest

from accounts import tokens
from core import clock
from core.db import db
from improvement import causes_and_actions
from improvement.metrics import catalogue
from kb.feedback import service as feedback
from kb.search import synonyms
from notify.models import Notification
from onboarding import paths

ROLES = ("anonymous", "staff", "editor", "publisher", "trainer", "quality_lead", "admin")
EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
WRITERS = {"editor", "publisher", "admin"}
LEADS = {"quality_lead", "admin"}
SEARCH_REPORT = {"editor", "publisher", "quality_lead", "admin"}
CONTENT_HEALTH = {"editor", "publisher", "quality_lead", "admin"}
TRAINERS = {"trainer", "admin"}
SYNONYMS = {"editor", "publisher", "admin"}

# (method, endpoint) -> who may; the URL is filled in from the objects the test makes
TABLE = {
    ("GET", "kb.home"): EVERYONE,
    ("GET", "kb.category"): EVERYONE,
    ("GET", "kb.article"): EVERYONE,
    ("GET", "kb.history"): LOGGED_IN,
    ("GET", "kb.diff"): LOGGED_IN,
    ("GET", "kb.new_article"): WRITERS, ("POST", "kb.new_article"): WRITERS,
    ("GET", "kb.edit_article"): WRITERS, ("POST", "kb.edit_article"): WRITERS,
    ("POST", "kb.change_state"): WRITERS,
    ("POST", "kb.confirm_reviewed"): WRITERS,
    ("POST", "kb.restore"): WRITERS,
    ("GET", "kb.review"): WRITERS,
    ("GET", "kb.manage_categories"): WRITERS, ("POST", "kb.manage_categories"): WRITERS,
    ("GET", "search.results"): EVERYONE,
    ("GET", "search.suggest"): EVERYONE,
    ("GET", "search.report"): SEARCH_REPORT,
    ("GET", "synonyms.synonym_list"): SYNONYMS, ("POST", "synonyms.add"): SYNONYMS,
    ("GET", "synonyms.edit"): SYNONYMS, ("POST", "synonyms.edit"): SYNONYMS,
    ("POST", "synonyms.delete"): SYNONYMS,
    ("POST", "synonyms.import_entries"): SYNONYMS,
    ("GET", "synonyms.export"): SYNONYMS,
    ("POST", "synonyms.accept"): SYNONYMS,
    ("GET", "kb_api.search"): LOGGED_IN,
    ("GET", "kb_api.article"): LOGGED_IN,
    ("POST", "kb_api.reuse"): LOGGED_IN,
    ("POST", "feedback.vote"): LOGGED_IN,
    ("GET", "feedback.flag"): LOGGED_IN, ("POST", "feedback.flag"): LOGGED_IN,
    ("POST", "feedback.solved"): LOGGED_IN,
    ("GET", "feedback.queue"): WRITERS,
    ("POST", "feedback.resolve"): {"publisher", "admin"},  # and the article's owner (not u-editor here)
    ("GET", "feedback.mine"): LOGGED_IN,
    ("GET", "feedback.health"): CONTENT_HEALTH,
    ("POST", "improvement_evidence.open_improvement"): LEADS,
    ("GET", "onboarding.mine"): LOGGED_IN,
    ("POST", "onboarding.acknowledge"): LOGGED_IN,
    ("GET", "onboarding.paths"): TRAINERS,
    ("GET", "onboarding.new_path"): TRAINERS, ("POST", "onboarding.new_path"): TRAINERS,
    ("GET", "onboarding.path"): TRAINERS,
    ("GET", "onboarding.edit_path"): TRAINERS, ("POST", "onboarding.edit_path"): TRAINERS,
    ("POST", "onboarding.add_item"): TRAINERS,
    ("POST", "onboarding.move_item"): TRAINERS,
    ("POST", "onboarding.remove_item"): TRAINERS,
    ("POST", "onboarding.assign"): TRAINERS,
    ("POST", "onboarding.unassign"): TRAINERS,
    ("POST", "onboarding.archive"): TRAINERS,
    ("GET", "onboarding.progress_page"): TRAINERS,
    ("GET", "onboarding.progress_csv"): TRAINERS,
    ("GET", "onboarding.handbook"): TRAINERS | {"staff"},  # and the people it is assigned to (u-staff here)
    ("GET", "checks.take"): LOGGED_IN, ("POST", "checks.take"): LOGGED_IN,
    ("GET", "checks.edit"): TRAINERS, ("POST", "checks.edit"): TRAINERS,
    ("GET", "auth.login"): EVERYONE, ("POST", "auth.login"): EVERYONE,
    ("POST", "auth.logout"): EVERYONE,
    ("POST", "auth.choose_language"): EVERYONE,
    ("GET", "auth.change_password"): LOGGED_IN, ("POST", "auth.change_password"): LOGGED_IN,
    ("GET", "people.users"): {"admin"},
    ("GET", "people.new_user"): {"admin"}, ("POST", "people.new_user"): {"admin"},
    ("GET", "people.edit_user"): {"admin"}, ("POST", "people.edit_user"): {"admin"},
    ("GET", "improvement.register"): LOGGED_IN,
    ("GET", "improvement.page"): LOGGED_IN,
    ("GET", "improvement.report"): LOGGED_IN,
    ("GET", "improvement.dashboard"): LEADS,
    ("GET", "measured.metric_overview"): LEADS,
    ("POST", "measured.rebase"): LEADS,
    ("GET", "measured.knowledge_demand"): LEADS,
    ("POST", "measured.open_from_demand"): LEADS,
    ("GET", "improvement.new"): LEADS, ("POST", "improvement.new"): LEADS,
    ("GET", "improvement.edit"): LEADS, ("POST", "improvement.edit"): LEADS,
    ("POST", "improvement.move"): LEADS,
    ("POST", "improvement.cancel"): LEADS,
    ("POST", "improvement.decide"): LEADS,
    ("POST", "improvement.standardise"): LEADS,
    ("POST", "improvement.link_article"): LEADS,
    ("POST", "improvement_work.add_cause"): LEADS,
    ("GET", "improvement_work.edit_cause"): LEADS, ("POST", "improvement_work.edit_cause"): LEADS,
    ("POST", "improvement_work.add_action"): LEADS,
    ("POST", "improvement_work.action_status"): LEADS | {"trainer"},  # the action's owner (a trainer here)
    ("GET", "improvement_work.my_actions"): LOGGED_IN,
    ("POST", "improvement_work.add_measurements"): LEADS,
    ("POST", "improvement_work.upload_measurements"): LEADS,
    ("GET", "improvement_work.metric_catalogue"): LOGGED_IN, ("POST", "improvement_work.metric_catalogue"): LEADS,
    ("GET", "improvement_api.improvements"): LOGGED_IN,
    ("GET", "improvement_api.improvement"): LOGGED_IN,
    ("GET", "improvement_api.metric_catalogue"): LOGGED_IN,
    ("POST", "improvement_api.push_measurements"): LEADS,
    ("GET", "notify.inbox_page"): LOGGED_IN,
    ("POST", "notify.open_one"): LOGGED_IN,  # someone else's notification is not found (404), not refused
    ("POST", "notify.mark_read"): LOGGED_IN,
    ("POST", "notify.mark_all_read"): LOGGED_IN,
    ("GET", "notify.preferences"): LOGGED_IN, ("POST", "notify.preferences"): LOGGED_IN,
    ("GET", "notify.undelivered"): {"admin"},
    ("POST", "notify.send_again"): {"admin"},
    ("GET", "improvement_api.metric_overview"): LEADS,
    ("GET", "api_description.openapi_json"): EVERYONE,
}
NOT_CHECKED = {"static"}


def routes(app) -> set[tuple[str, str]]:
    return {(method, rule.endpoint) for rule in app.url_map.iter_rules() if rule.endpoint not in NOT_CHECKED
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_the_table_names_every_route_and_no_route_that_is_gone(app):
    assert routes(app) == set(TABLE)


@pytest.fixture
def site(app, make_user, make_article, make_improvement):
    """One of everything a URL can point at; the improvement's action belongs to the trainer."""
    users = {role: make_user(f"u-{role}", role) for role in ROLES if role != "anonymous"}
    article = make_article(title="Public refund rule", audience="public")
    improvement = make_improvement()
    cause = causes_and_actions.add_cause(improvement, causes_and_actions.CauseDetails(
        statement="Nobody owns the inbox", category="process"), users["quality_lead"])
    action = causes_and_actions.add_action(improvement, causes_and_actions.ActionDetails(
        description="Rota", kind="corrective", owner_id=users["trainer"].id, due_on=clock.today() + timedelta(days=7)), users["quality_lead"])
    flagged = feedback.flag(article, users["staff"], "unclear", "Which form?")
    path = paths.create_path(paths.PathDetails(title="New staff", role="staff", expected_minutes=30), users["trainer"])
    item = paths.add_item(path, path.version, str(article.id), users["trainer"])
    paths.assign(path, [users["staff"]], clock.today() + timedelta(days=7), users["trainer"], clock.today())
    synonym = synonyms.add(synonyms.parse_line("顾客 = 客户"), users["editor"])
    db.session.commit()
    bearer = {role: tokens.issue_token(user) for role, user in users.items()}
    db.session.commit()
    ids = {"article_id": article.id, "slug": article.slug, "category_id": article.category_id, "number": 1,
           "user_id": users["staff"].id, "improvement_id": improvement.id,
           "cause_id": cause.id, "action_id": action.id,
           "metric_id": catalogue()[0].id, "flag_id": flagged.id, "path_id": path.id, "item_id": item.id,
           "assignment_id": path.assignments[0].id, "synonym_id": synonym.id,
           "notification_id": db.session.query(Notification.id).filter_by(kind="flag_raised").scalar()}
    return ids, bearer


def url_for_rule(app, endpoint: str, ids: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **{name: ids[name] for name in rule.arguments})


def refused(answer) -> bool:
    if answer.status_code in (401, 403):
        return True
    return answer.status_code == 302 and "/login" in answer.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, client, site, role):
    ids, tokens = site
    if role != "anonymous":
        answer = client.submit("/login", {"username": f"u-{role}", "password": "correct horse battery"},
                               token_from="/login")
        assert answer.status_code == 302
    token = client.csrf("/login") if role == "anonymous" else client.csrf("/account/password")
    wrong = []
    for (method, endpoint), allowed in sorted(TABLE.items()):
        if endpoint in ("auth.logout", "auth.login", "auth.change_password"):
            continue  # they end or change the session the rest of this walk needs; covered in test_auth
        url = url_for_rule(app, endpoint, ids)
        headers = {"X-CSRFToken": token}
        if method == "GET":
            answer = client.get(url, headers=headers)
        else:
            answer = client.post(url, data={"csrf_token": token}, headers=headers)
        if answer.status_code >= 500:
            wrong.append(f"{method} {url}: {answer.status_code}")
        elif refused(answer) == (role in allowed):
            wrong.append(f"{method} {url}: {answer.status_code} for {role}, "
                         f"{'should be allowed' if role in allowed else 'should be refused'}")
    assert wrong == []


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_api_answers_a_token_as_its_users_role(app, client, site, role):
    ids, tokens = site
    wrong = []
    for (method, endpoint), allowed in sorted(TABLE.items()):
        if not endpoint.split(".")[0].endswith("_api"):
            continue
        url = url_for_rule(app, endpoint, ids)
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        answer = client.get(url, headers=headers) if method == "GET" else client.post(url, json={}, headers=headers)
        if answer.status_code >= 500 or refused(answer) == (role in allowed):
            wrong.append(f"{method} {url}: {answer.status_code} for {role}")
    assert wrong == []


def row_counts() -> dict[str, int]:
    from sqlalchemy import func, select

    from core.db import Base
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_every_state_changing_route_refuses_a_request_without_the_csrf_token_and_changes_nothing(app, client, site):
    """As an admin, whom every route lets in: a POST with everything but the CSRF token (a form field, or
    the X-CSRFToken header for a session write to the API) is refused and no table gains or loses a row."""
    ids, _tokens = site
    assert client.submit("/login", {"username": "u-admin", "password": "correct horse battery"},
                         token_from="/login").status_code == 302
    writes = sorted(endpoint for (method, endpoint) in TABLE if method == "POST"
                    and endpoint not in ("auth.login", "auth.logout", "auth.change_password"))
    assert len(writes) >= 40
    wrong = []
    for endpoint in writes:
        db.session.remove()
        before = row_counts()
        url = url_for_rule(app, endpoint, ids)
        answer = client.post(url, data={"reason": "x", "comment": "x", "direction": "up", "helpful": "yes"}) \
            if not endpoint.split(".")[0].endswith("_api") else client.post(url, json={"reference": "T-1"})
        db.session.remove()
        told = "The form expired" in answer.text or "CSRF token is missing" in answer.text
        if answer.status_code != 400 or not told or row_counts() != before:
            wrong.append(f"POST {url}: {answer.status_code}")
    assert wrong == []
