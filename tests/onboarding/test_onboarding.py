"""Learning paths through the pages: a trainer builds a path and assigns it, a trainee reads and confirms each
article, a major revision asks again; the progress matrix, its CSV and the printable handbook."""
import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from onboarding import paths, progress, reading
from onboarding.models import Acknowledgement, Assignment, LearningPath, PathItem
from tests.conftest import PASSWORD
from tests.support.counting import counted_queries

TODAY = clock.today()
NEXT_WEEK = (TODAY + timedelta(days=7)).isoformat()


# ---- helpers: the steps a person takes through the pages ------------------------------------------------

def switch_to(client, username: str) -> None:
    client.submit("/logout")
    answer = client.submit("/login", {"username": username, "password": PASSWORD}, token_from="/login")
    assert answer.status_code == 302, answer.text


def create_path(client, title="Front desk basics", role="staff", minutes="45", description="Week one.") -> int:
    answer = client.submit("/onboarding/paths/new", {"title": title, "role": role, "expected_minutes": minutes,
                                                     "description": description}, token_from="/onboarding/paths/new")
    assert answer.status_code == 303, answer.text
    return int(re.search(r"/onboarding/paths/(\d+)", answer.headers["Location"]).group(1))


def listed(client, path_id: int) -> list[str]:
    """The titles of the path's articles as its page lists them."""
    page = client.get(f"/onboarding/paths/{path_id}").text
    items = re.search(r'<ol class="path-items">(.*?)</ol>', page, re.S).group(1)
    return re.findall(r'<a href="/kb/articles/[^"]*">([^<]*)</a>', items)


def path_version(path_id: int) -> int:
    db.session.remove()
    return db.session.get(LearningPath, path_id).version


def add(client, path_id: int, reference: str):
    return client.submit(f"/onboarding/paths/{path_id}/items",
                         {"reference": reference, "base_version": path_version(path_id)})


def assign(client, path_id: int, usernames="", role="", due_on=NEXT_WEEK):
    return client.submit(f"/onboarding/paths/{path_id}/assignments",
                         {"usernames": usernames, "role": role, "due_on": due_on})


def shown_revision(client, article) -> int:
    page = client.get(f"/kb/articles/{article.id}")
    return int(re.search(r'name="revision_number" value="(\d+)"', page.text).group(1))


def acknowledge(client, article, revision_number: int | None = None):
    number = shown_revision(client, article) if revision_number is None else revision_number
    return client.submit(f"/kb/articles/{article.id}/acknowledge", {"revision_number": number})


def edit(client, article, major: bool, body: str):
    db.session.remove()
    article = db.session.get(type(article), article.id)
    fields = {"title": article.title, "type": article.type, "summary": article.summary, "body": body,
              "category_id": article.category_id, "tags": "", "audience": article.audience,
              "language": article.language, "owner_id": article.owner_id, "review_by": "", "note": "Changed",
              "base_version": article.version, "save": "Save"} | ({"major": "y"} if major else {})
    answer = client.submit(f"/kb/articles/{article.id}/edit", fields)
    assert answer.status_code == 302, answer.text


def acknowledgements(user_id: int, article_id: int) -> list[int]:
    db.session.remove()
    return list(db.session.scalars(select(Acknowledgement.revision_number).where(
        Acknowledgement.user_id == user_id, Acknowledgement.article_id == article_id)))


def assigned_usernames(path_id: int) -> set[str]:
    db.session.remove()
    return {a.user.username for a in db.session.scalars(select(Assignment).where(Assignment.path_id == path_id))}


def my_onboarding(client) -> str:
    answer = client.get("/onboarding")
    assert answer.status_code == 200
    return answer.text


@pytest.fixture
def three_articles(make_article):
    return [make_article(title="Greeting at the desk", body="Say hello.\n"),
            make_article(title="Handling a complaint", body="Listen first.\n"),
            make_article(title="Closing the case", body="Confirm and thank.\n")]


@pytest.fixture
def built_path(client, login_as, make_user, three_articles):
    """A trainer (logged in) with a path of the three articles assigned to staff member 'sam'."""
    make_user("sam", "staff")
    login_as("trainer", "tara")
    path_id = create_path(client)
    for article in three_articles:
        assert add(client, path_id, str(article.id)).status_code == 303
    assert assign(client, path_id, "sam").status_code == 303
    return path_id


# ---- the whole loop ---------------------------------------------------------------------------------

def test_a_trainer_assigns_a_path_a_trainee_completes_it_and_a_major_revision_reopens_one_item(
        client, login_as, make_user, three_articles, no_server_errors):
    greeting, complaint, closing = three_articles
    make_user("sam", "staff")
    make_user("sue", "staff")
    make_user("eddie", "editor")
    login_as("trainer", "tara")

    path_id = create_path(client, title="Front desk basics")
    assert add(client, path_id, str(greeting.id)).status_code == 303
    assert add(client, path_id, f"http://localhost/kb/articles/{complaint.id}/{complaint.slug}").status_code == 303
    assert add(client, path_id, closing.slug).status_code == 303
    assert listed(client, path_id) == ["Greeting at the desk", "Handling a complaint", "Closing the case"]

    answer = assign(client, path_id, usernames="sam", due_on=NEXT_WEEK)
    assert "Assigned to sam, due by" in client.get(answer.headers["Location"]).text
    later = (TODAY + timedelta(days=10)).isoformat()
    answer = assign(client, path_id, role="staff", due_on=later)
    text = client.get(answer.headers["Location"]).text
    assert "Assigned to sue" in text
    assert f"sam had this path already; their due date moved from {NEXT_WEEK} to {later}" in text
    assert assigned_usernames(path_id) == {"sam", "sue"}

    switch_to(client, "sam")
    page = my_onboarding(client)
    assert "Front desk basics" in page and "0 of 3 done" in page and '<progress value="0" max="3"' in page
    assert re.search(r'class="next">\s*<strong class="next-label">Next:</strong>\s*<a[^>]*>Greeting at the desk',
                     page)
    for article in three_articles:
        answer = acknowledge(client, article)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/onboarding")
    page = my_onboarding(client)
    assert "3 of 3 done" in page and ">complete<" in page and 'class="next"' not in page

    switch_to(client, "eddie")
    edit(client, complaint, major=True, body="Listen first, then write it down.\n")

    switch_to(client, "sam")
    page = my_onboarding(client)
    assert "2 of 3 done" in page and ">complete<" not in page
    assert re.search(r'class="next">\s*<strong class="next-label">Next:</strong>\s*<a[^>]*>Handling a complaint'
                     r'</a>\s*<span class="badge onboarding-read-again">read again', page)
    article_page = client.get(f"/kb/articles/{complaint.id}").text
    assert "This article changed in a major way since you confirmed it" in article_page
    assert 'name="revision_number" value="2"' in article_page

    switch_to(client, "tara")
    matrix = client.get(f"/onboarding/paths/{path_id}/progress").text
    sam_row = re.search(r"<tr[^>]*>\s*<th scope=\"row\">sam.*?</tr>", matrix, re.S).group(0)
    assert sam_row.count("acknowledged rev 1") == 2 and "read again" in sam_row
    sue_row = re.search(r"<tr[^>]*>\s*<th scope=\"row\">sue.*?</tr>", matrix, re.S).group(0)
    assert sue_row.count("not started") == 3


def test_reading_again_and_confirming_the_major_revision_completes_the_path_again(
        client, built_path, make_user, three_articles):
    make_user("eddie", "editor")
    switch_to(client, "sam")
    for article in three_articles:
        acknowledge(client, article)
    switch_to(client, "eddie")
    edit(client, three_articles[0], major=True, body="Say hello and smile.\n")
    switch_to(client, "sam")
    assert "2 of 3 done" in my_onboarding(client)
    assert acknowledge(client, three_articles[0]).status_code == 303
    sam = db.session.scalar(select(Assignment)).user
    assert sorted(acknowledgements(sam.id, three_articles[0].id)) == [1, 2]
    assert "3 of 3 done" in my_onboarding(client)


def test_a_minor_revision_does_not_reopen_a_confirmed_article(client, built_path, make_user, three_articles):
    make_user("eddie", "editor")
    switch_to(client, "sam")
    for article in three_articles:
        acknowledge(client, article)
    switch_to(client, "eddie")
    edit(client, three_articles[1], major=False, body="Listen first (typo fixed).\n")
    switch_to(client, "sam")
    page = my_onboarding(client)
    assert "3 of 3 done" in page and "read again" not in page
    article_page = client.get(f"/kb/articles/{three_articles[1].id}").text
    assert re.search(r"You confirmed revision 1 on \d{4}-\d\d-\d\d\.", article_page)
    assert "I have read and understood this" not in article_page


def test_the_history_marks_a_major_revision(client, login_as, make_article):
    article = make_article()
    login_as("editor")
    edit(client, article, major=True, body="A new procedure.\n")
    edit(client, article, major=False, body="A new procedure, typo fixed.\n")
    history = client.get(f"/kb/articles/{article.id}/history").text
    assert history.count('class="badge major"') == 1
    assert "Major change: people who confirmed they read this article are asked to read it again" in \
        client.get(f"/kb/articles/{article.id}/edit").text
    assert "Major change" not in client.get("/kb/articles/new").text


# ---- acknowledgements -------------------------------------------------------------------------------

def test_the_acknowledge_button_is_at_the_end_of_a_published_article_for_people_logged_in(
        client, login_as, make_article):
    article = make_article()
    draft = make_article(title="Not yet", state="draft")
    assert "I have read and understood this" not in client.get(f"/kb/articles/{article.id}").text
    login_as("editor")
    page = client.get(f"/kb/articles/{article.id}").text
    assert page.index('<div class="body">') < page.index("I have read and understood this")
    assert "I have read and understood this" not in client.get(f"/kb/articles/{draft.id}").text


def test_confirming_an_article_outside_any_path_returns_to_the_article_and_says_so(
        client, login_as, make_article):
    article = make_article()
    login_as("staff", "sam")
    answer = acknowledge(client, article)
    assert answer.status_code == 303 and f"/kb/articles/{article.id}" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).text
    assert "You confirmed that you read and understood revision 1 of How to handle a complaint." in page
    assert re.search(r"You confirmed revision 1 on \d{4}-\d\d-\d\d\.", page)


def test_a_second_acknowledgement_of_the_same_revision_is_refused_and_stores_one_row(
        client, login_as, make_article):
    article = make_article()
    sam = login_as("staff", "sam")
    acknowledge(client, article, 1)
    answer = acknowledge(client, article, 1)
    assert answer.status_code == 303
    assert "You confirmed revision 1 of this article already, on" in client.get(answer.headers["Location"]).text
    assert acknowledgements(sam.id, article.id) == [1]


def test_two_acknowledgements_racing_each_other_store_one_row_and_the_second_is_told(
        client, login_as, make_article, monkeypatch):
    article = make_article()
    sam = login_as("staff", "sam")
    acknowledge(client, article, 1)
    monkeypatch.setattr(reading, "_acknowledged", lambda *args: None)  # the check ran before the other's commit
    answer = acknowledge(client, article, 1)
    assert "You confirmed revision 1 of this article already." in client.get(answer.headers["Location"]).text
    assert acknowledgements(sam.id, article.id) == [1]


def test_confirming_a_revision_that_is_no_longer_current_asks_to_read_the_new_version(
        client, login_as, make_article, make_user):
    article = make_article()
    make_user("eddie", "editor")
    sam = login_as("staff", "sam")
    shown = shown_revision(client, article)
    switch_to(client, "eddie")
    edit(client, article, major=False, body="Changed while sam was reading.\n")
    switch_to(client, "sam")
    answer = acknowledge(client, article, shown)
    assert "The article changed while you were reading; read the new version." in \
        client.get(answer.headers["Location"]).text
    assert acknowledgements(sam.id, article.id) == []


def test_an_acknowledgement_without_a_revision_number_is_a_400(client, login_as, make_article):
    article = make_article()
    sam = login_as("staff", "sam")
    answer = client.submit(f"/kb/articles/{article.id}/acknowledge", {"revision_number": "two"})
    assert answer.status_code == 400 and "The request was incomplete" in answer.text
    assert acknowledgements(sam.id, article.id) == []


def test_staff_cannot_confirm_a_draft_they_cannot_see(client, login_as, make_article):
    draft = make_article(state="draft")
    login_as("staff", "sam")
    assert client.submit(f"/kb/articles/{draft.id}/acknowledge", {"revision_number": 1}).status_code == 404


# ---- building a path -------------------------------------------------------------------------------

def test_adding_refuses_unknown_references_drafts_and_duplicates_with_clear_messages(
        client, login_as, make_article, three_articles):
    draft = make_article(title="Half-written", state="draft")
    login_as("admin", "ada")  # builds paths and sees drafts
    path_id = create_path(client)
    assert add(client, path_id, str(three_articles[0].id)).status_code == 303
    answer = add(client, path_id, "no-such-article")
    assert answer.status_code == 400 and "No published article is found for &#39;no-such-article&#39;" in answer.text
    answer = add(client, path_id, str(draft.id))
    assert answer.status_code == 400 and "Half-written is not published" in answer.text
    answer = add(client, path_id, three_articles[0].slug)
    assert answer.status_code == 400 and "Greeting at the desk is in this path already." in answer.text
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(PathItem)) == 1


def test_articles_are_moved_up_and_down_and_removed(client, built_path, three_articles):
    path_id = built_path
    items = {i.article_id: i.id for i in db.session.scalars(select(PathItem))}
    greeting, complaint, closing = three_articles
    client.submit(f"/onboarding/paths/{path_id}/items/{items[closing.id]}/move",
                  {"direction": "up", "base_version": path_version(path_id)})
    client.submit(f"/onboarding/paths/{path_id}/items/{items[greeting.id]}/move",
                  {"direction": "down", "base_version": path_version(path_id)})
    assert listed(client, path_id) == ["Closing the case", "Greeting at the desk", "Handling a complaint"]
    answer = client.submit(f"/onboarding/paths/{path_id}/items/{items[greeting.id]}/remove",
                           {"base_version": path_version(path_id)})
    assert "Greeting at the desk removed from the path." in client.get(answer.headers["Location"]).text
    db.session.remove()
    order = db.session.scalars(select(PathItem.article_id).order_by(PathItem.position))
    assert list(order) == [closing.id, complaint.id]


def test_a_change_from_a_page_older_than_the_path_is_refused_and_changes_nothing(
        client, built_path, three_articles, make_article):
    path_id = built_path
    stale = path_version(path_id)
    item = db.session.scalar(select(PathItem).where(PathItem.article_id == three_articles[2].id))
    client.submit(f"/onboarding/paths/{path_id}/items/{item.id}/move", {"direction": "up", "base_version": stale})
    late = make_article(title="Added late")
    answer = client.submit(f"/onboarding/paths/{path_id}/items", {"reference": str(late.id), "base_version": stale})
    assert answer.status_code == 303
    assert "The path was changed by someone else" in client.get(answer.headers["Location"]).text
    db.session.remove()
    assert late.id not in set(db.session.scalars(select(PathItem.article_id)))


def test_editing_the_details_with_an_old_version_is_refused(client, built_path):
    path_id = built_path
    old = path_version(path_id)
    fields = {"title": "Renamed", "role": "staff", "expected_minutes": "30", "description": ""}
    client.submit(f"/onboarding/paths/{path_id}/edit", fields | {"base_version": old})
    answer = client.submit(f"/onboarding/paths/{path_id}/edit", fields | {"title": "Again", "base_version": old})
    assert "The path was changed by someone else" in client.get(answer.headers["Location"]).text
    db.session.remove()
    assert db.session.get(LearningPath, path_id).title == "Renamed"


def test_a_path_needs_a_title_a_known_role_and_minutes_above_zero(client, login_as):
    login_as("trainer", "tara")
    answer = client.submit("/onboarding/paths/new", {"title": "", "role": "pilot", "expected_minutes": "0"},
                           token_from="/onboarding/paths/new")
    assert answer.status_code == 400
    assert "The title is empty." in answer.text and "Not a valid choice" in answer.text
    assert "The expected time is a number of minutes greater than 0." in answer.text
    assert db.session.scalar(select(func.count()).select_from(LearningPath)) == 0


def test_a_title_with_markup_is_shown_as_text(client, login_as, make_user):
    make_user("sam", "staff")
    login_as("trainer", "tara")
    path_id = create_path(client, title='<script>alert("x")</script>', description="<img src=x onerror=alert(1)>")
    assign(client, path_id, "sam")
    for url in ("/onboarding/paths", f"/onboarding/paths/{path_id}", f"/onboarding/paths/{path_id}/handbook"):
        page = client.get(url).text
        assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page, url
    switch_to(client, "sam")
    page = my_onboarding(client)
    assert "<script>alert" not in page and "<img src=x" not in page and "&lt;img src=x" in page


# ---- assignments -----------------------------------------------------------------------------------

def test_an_unknown_user_name_is_refused_and_nobody_is_assigned(client, login_as, make_user, three_articles):
    make_user("sam", "staff")
    login_as("trainer", "tara")
    path_id = create_path(client)
    answer = assign(client, path_id, usernames="sam, nobody")
    assert answer.status_code == 400
    assert "Nothing was assigned." in answer.text and "There is no user named &#39;nobody&#39;." in answer.text
    assert "sam, nobody" in answer.text  # what was typed comes back to be corrected
    assert assigned_usernames(path_id) == set()


def test_a_due_date_in_the_past_is_refused(client, login_as, make_user):
    make_user("sam", "staff")
    login_as("trainer", "tara")
    path_id = create_path(client)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    answer = assign(client, path_id, usernames="sam", due_on=yesterday)
    assert answer.status_code == 400 and f"The due date {yesterday} is in the past." in answer.text
    assert assigned_usernames(path_id) == set()


def test_assigning_needs_people_or_a_role(client, login_as):
    login_as("trainer", "tara")
    path_id = create_path(client)
    answer = assign(client, path_id)
    assert answer.status_code == 400 and "Name the people (their user names) or choose a role." in answer.text


def test_assigning_again_with_the_same_date_changes_nothing_and_says_so(client, built_path):
    answer = assign(client, built_path, "sam")
    assert "sam had this path already, due by" in client.get(answer.headers["Location"]).text
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_assigning_by_role_leaves_out_deactivated_people(client, login_as, make_user):
    make_user("sam", "staff")
    gone = make_user("gus", "staff")
    gone.active = False
    db.session.commit()
    login_as("trainer", "tara")
    path_id = create_path(client)
    assign(client, path_id, role="staff")
    assert assigned_usernames(path_id) == {"sam"}


def test_unassigning_removes_the_path_from_the_person(client, built_path):
    assignment = db.session.scalar(select(Assignment))
    answer = client.submit(f"/onboarding/paths/{built_path}/assignments/{assignment.id}/remove")
    assert "sam no longer has this path." in client.get(answer.headers["Location"]).text
    assert assigned_usernames(built_path) == set()


# ---- progress matrix, CSV, handbook -------------------------------------------------------------------

def test_an_overdue_person_is_marked_in_the_matrix(client, built_path, make_user):
    trainee = make_user("olive", "staff")
    path = db.session.get(LearningPath, built_path)
    paths.assign(path, [trainee], TODAY - timedelta(days=3), None, today=TODAY - timedelta(days=10))
    db.session.commit()
    page = client.get(f"/onboarding/paths/{built_path}/progress").text
    olive = re.search(r'<tr class="([^"]*)">\s*<th scope="row">olive', page)
    sam = re.search(r'<tr class="([^"]*)">\s*<th scope="row">sam', page)
    assert olive.group(1) == "overdue" and sam.group(1) == ""
    assert "1 overdue" in page


def test_the_csv_export_has_a_row_per_person_and_a_column_per_article(client, built_path, three_articles):
    switch_to(client, "sam")
    acknowledge(client, three_articles[0])
    switch_to(client, "tara")
    answer = client.get(f"/onboarding/paths/{built_path}/progress.csv")
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["username", "name", "due date", "overdue", "complete",
                       "Greeting at the desk", "Handling a complaint", "Closing the case"]
    assert rows[1] == ["sam", "sam", NEXT_WEEK, "no", "no", "acknowledged rev 1", "not started", "not started"]


def test_the_csv_export_defuses_cells_a_spreadsheet_would_run_as_formulas(
        client, login_as, make_user, make_article):
    sam = make_user("sam", "staff")
    sam.display_name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    article = make_article(title="@SUM(1+1)")
    login_as("trainer", "tara")
    path_id = create_path(client)
    add(client, path_id, str(article.id))
    assign(client, path_id, "sam")
    rows = list(csv.reader(io.StringIO(client.get(f"/onboarding/paths/{path_id}/progress.csv").text)))
    assert rows[0][-1] == "'@SUM(1+1)"
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"


def test_the_handbook_has_a_cover_a_table_of_contents_and_the_articles_in_order(
        client, built_path, three_articles):
    page = client.get(f"/onboarding/paths/{built_path}/handbook").text
    cover = page.index('class="handbook-cover"')
    toc = page.index('class="handbook-toc"')
    assert cover < toc < page.index('class="article handbook-article"')
    assert "Front desk basics" in page[cover:toc] and "Staff" in page[cover:toc] and "45 minutes" in page[cover:toc]
    assert TODAY.isoformat() in page[cover:toc] and "Week one." in page[cover:toc]
    for article in three_articles:
        assert f'href="#article-{article.id}"' in page and f'id="article-{article.id}"' in page
    bodies = [page.index(text) for text in ("<p>Say hello.</p>", "<p>Listen first.</p>", "<p>Confirm and thank.</p>")]
    assert bodies == sorted(bodies) and bodies[0] > toc
    assert page.count("Revision 1") == 3


def test_the_handbook_opens_for_the_trainee_it_is_assigned_to_and_nobody_else(client, built_path, make_user):
    make_user("other", "staff")
    switch_to(client, "sam")
    assert client.get(f"/onboarding/paths/{built_path}/handbook").status_code == 200
    switch_to(client, "other")
    answer = client.get(f"/onboarding/paths/{built_path}/handbook")
    assert answer.status_code == 403 and "Only trainers and the people this path is assigned to" in answer.text


TRAINER_PAGES = [("get", "/onboarding/paths"), ("get", "/onboarding/paths/new"), ("get", "/onboarding/paths/{id}"),
                 ("get", "/onboarding/paths/{id}/edit"), ("get", "/onboarding/paths/{id}/progress"),
                 ("get", "/onboarding/paths/{id}/progress.csv"), ("post", "/onboarding/paths/new"),
                 ("post", "/onboarding/paths/{id}/items"), ("post", "/onboarding/paths/{id}/assignments"),
                 ("post", "/onboarding/paths/{id}/items/1/move"), ("post", "/onboarding/paths/{id}/items/1/remove"),
                 ("post", "/onboarding/paths/{id}/assignments/1/remove")]


@pytest.mark.parametrize("method,url", TRAINER_PAGES)
def test_staff_cannot_reach_the_trainer_pages(client, built_path, method, url):
    switch_to(client, "sam")
    url = url.format(id=built_path)
    answer = client.get(url) if method == "get" else client.submit(
        url, {"title": "x", "role": "staff", "expected_minutes": "5", "usernames": "sam", "due_on": NEXT_WEEK,
              "reference": "1", "base_version": "1", "direction": "up"})
    assert answer.status_code == 403
    assert assigned_usernames(built_path) == {"sam"}


def test_an_article_with_a_knowledge_check_is_done_only_when_the_check_is_passed(
        client, built_path, three_articles):
    from accounts import auth
    from onboarding import checks
    closing = db.session.get(type(three_articles[2]), three_articles[2].id)
    [question] = checks.save_check(closing, [("What comes last?", [("Thanks", True), ("Nothing", False)])],
                                   auth.find_user("tara"))
    db.session.commit()
    switch_to(client, "sam")
    for article in three_articles:
        acknowledge(client, article)
    page = my_onboarding(client)
    assert "2 of 3 done" in page and "check not passed" in page
    assert f'<a href="/kb/articles/{closing.id}/check">Take the check</a>' in page
    sam = db.session.scalar(select(Assignment)).user
    right, wrong = question.choices
    checks.grade(closing, sam, {question.id: {wrong.id}})
    db.session.commit()
    assert "2 of 3 done" in my_onboarding(client)
    checks.grade(closing, sam, {question.id: {right.id}})
    db.session.commit()
    page = my_onboarding(client)
    assert "3 of 3 done" in page and "check passed" in page and ">complete<" in page
    switch_to(client, "tara")
    rows = list(csv.reader(io.StringIO(client.get(f"/onboarding/paths/{built_path}/progress.csv").text)))
    assert rows[1][4] == "yes" and rows[1][-1] == "acknowledged rev 1; check passed"


@pytest.mark.parametrize("url", [
    "/onboarding/paths/new", "/onboarding/paths/{id}/edit", "/onboarding/paths/{id}/items",
    "/onboarding/paths/{id}/items/{item}/move", "/onboarding/paths/{id}/items/{item}/remove",
    "/onboarding/paths/{id}/assignments"])
def test_a_trainer_form_sent_empty_is_a_400_that_changes_nothing(client, built_path, url, no_server_errors):
    item = db.session.scalar(select(PathItem.id).order_by(PathItem.position).limit(1))
    before = listed(client, built_path), path_version(built_path), assigned_usernames(built_path)
    answer = client.submit(url.format(id=built_path, item=item), {"base_version": "not a number"})
    assert answer.status_code == 400
    assert (listed(client, built_path), path_version(built_path), assigned_usernames(built_path)) == before


def test_my_onboarding_says_when_nothing_is_assigned(client, login_as):
    login_as("staff", "sam")
    assert "No learning path is assigned to you." in my_onboarding(client)


def test_an_archived_article_in_a_path_is_no_longer_asked_for(client, built_path, three_articles, make_user):
    make_user("pat", "publisher")
    switch_to(client, "sam")
    for article in three_articles[:2]:
        acknowledge(client, article)
    switch_to(client, "pat")
    closing = three_articles[2]
    client.submit(f"/kb/articles/{closing.id}/state", {"action": "archive", "base_version": closing.version})
    switch_to(client, "sam")
    page = my_onboarding(client)
    assert "2 of 2 done" in page and "Closing the case" not in page


def test_the_matrix_takes_the_same_number_of_queries_for_more_people_and_articles(
        app, make_user, make_article):
    def queries_for(people: int, articles: int) -> int:
        trainer = make_user(f"t{people}", "trainer")
        path = paths.create_path(paths.PathDetails(f"P{people}", "staff", 30), trainer)
        for n in range(articles):
            paths.add_item(path, path.version, str(make_article(title=f"A{people}-{n}").id), trainer)
        users = [make_user(f"u{people}-{n}") for n in range(people)]
        paths.assign(path, users, TODAY, trainer, TODAY)
        for user in users:
            reading.acknowledge(path.items[0].article, user, 1)
        db.session.commit()
        db.session.remove()
        path = db.session.get(LearningPath, path.id)
        with counted_queries() as sent:
            found = progress.matrix(path, TODAY)
        assert len(found.rows) == people and len(found.articles) == articles
        return len(sent)

    assert queries_for(1, 1) == queries_for(4, 3)


def test_the_demo_has_a_learning_path_assigned_to_staff_with_one_article_confirmed(app):
    import demo
    assert "Demo learning path: 4 articles" in demo.load()
    path = db.session.scalar(select(LearningPath).where(LearningPath.title == "New front-line staff"))
    [assignment] = path.assignments
    assert assignment.user.username == "staff" and assignment.due_on == TODAY + timedelta(days=14)
    found = progress.progress(assignment, TODAY)
    assert (found.done, found.total, found.complete) == (1, 4, False)


def test_an_archived_path_leaves_my_onboarding_keeps_its_records_and_can_be_used_again(client, built_path):
    page = f"/onboarding/paths/{built_path}"
    stale = path_version(built_path)
    assert client.submit(f"{page}/archive", {"base_version": stale, "archived": "yes"}, token_from=page).status_code == 303
    assert "Archived: nobody sees this path" in client.get(page).text
    assert "Archived" in client.get("/onboarding/paths").text
    switch_to(client, "sam")
    assert "Front desk basics" not in my_onboarding(client)
    switch_to(client, "tara")
    # a page from before the archiving cannot undo it by accident
    refused = client.submit(f"{page}/archive", {"base_version": stale, "archived": "no"}, token_from=page)
    assert refused.status_code == 303 and "changed by someone else" in client.get(page).text
    assert assigned_usernames(built_path) == {"sam"}  # the records are kept
    assert client.submit(f"{page}/archive", {"base_version": path_version(built_path), "archived": "no"},
                         token_from=page).status_code == 303
    switch_to(client, "sam")
    assert "Front desk basics" in my_onboarding(client)
