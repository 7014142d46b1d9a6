"""Synonyms editors keep: the line format (plain rules, no app), the synonym page (add, edit, delete, import,
export, refusals, audit, who may), and their effect on the next search through the real pages."""
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import db
from core.errors import Invalid
from kb import categories, service
from kb.search import synonyms
from kb.search.index import pending_count, search_index
from kb.search.models import Synonym
from kb.search.synonyms import parse_line, parse_text
from tests.kb.search.test_search import found
from tests.site.test_hostile_input import FUZZ

PAGE = "/kb/synonyms"


# ---- the line format -----------------------------------------------------------------------------------

def test_a_group_holds_its_terms_and_is_the_same_entry_in_any_order():
    entry = parse_line("顾客 = 客户 = customer")
    assert entry.terms == ("顾客", "客户", "customer") and not entry.one_way
    assert parse_line("  customer ＝ 客户 =   顾客 ").key == entry.key


def test_a_one_way_entry_takes_an_arrow_and_commas_and_differs_from_the_group():
    entry = parse_line("手机 -> iPhone, Android phone")
    assert entry.one_way and entry.terms == ("手机", "iPhone", "Android phone")
    assert entry.line == "手机 -> iPhone, Android phone"
    assert parse_line("手机 → Android phone，iPhone").key == entry.key
    assert parse_line("手机 = iPhone = Android phone").key != entry.key
    assert parse_line("iPhone -> 手机").key != parse_line("手机 -> iPhone").key


def test_blank_and_comment_lines_are_not_entries():
    assert parse_line("") is None and parse_line("   ") is None and parse_line("# 顾客 = 客户") is None
    assert [e.line for e in parse_text("# people\n\n顾客 = 客户\r\n  # money\n退款 -> refund\n")] == [
        "顾客 = 客户", "退款 -> refund"]


def test_every_bad_line_is_named_by_its_number_and_the_text_gives_nothing():
    with pytest.raises(Invalid) as refused:
        parse_text("顾客 = 客户\n退款 = \n# fine\nx -> y -> z\nrefund = refunds\nNPS = 净推荐值\n")
    problems = refused.value.problems
    assert [p.split(":")[0] for p in problems] == ["Line 2", "Line 4", "Line 5"]
    assert "A term is empty" in problems[0]
    assert "not both" in problems[1]
    assert "two different terms" in problems[2]


def test_traditional_and_simplified_characters_and_plural_forms_make_the_same_key():
    assert parse_line("顧客 = 客戶").key == parse_line("顾客 = 客户").key
    assert parse_line("refunds = 退款").key == parse_line("refund = 退款").key
    assert parse_line("Customers -> 客户").key == parse_line("customer -> 客戶").key


@pytest.mark.parametrize("line", ["顾客 = 顾客", "refund = refunds", "手机 -> 手机, iPhone", "a = b -> c", "= 客户",
                                  "顾客 = " + "客" * 61, "!!! = 客户"])
def test_a_line_that_cannot_be_an_entry_is_refused(line):
    with pytest.raises(Invalid):
        parse_line(line)


# ---- the page ------------------------------------------------------------------------------------------

def add(client, line: str):
    return client.submit(PAGE, {"line": line}, token_from=PAGE)


def kept() -> list[str]:
    """The entries in the database, as lines, in the page's order."""
    db.session.remove()
    return [synonyms.Entry(tuple(row.term_list), row.one_way).line for row in synonyms.all_entries()]


def only_row() -> Synonym:
    db.session.remove()
    return db.session.scalars(select(Synonym)).one()


def test_an_editor_adds_a_group_and_a_one_way_entry_and_sees_them_listed_readably(client, login_as):
    login_as("editor")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "No synonyms yet" in page.text
    assert "顾客 = 客户 = customer" in page.text and "手机 -&gt; iPhone, Android phone" in page.text  # the help
    assert "next search" in page.text

    answer = add(client, "顾客 = 客户")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(PAGE)
    assert add(client, "手机 -> iPhone").status_code == 303
    listed = client.get(PAGE).text
    assert "Added: 手机 → iPhone. The next search uses it." in listed
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", listed)
    assert rows == [("顾客 = 客户", "group"), ("手机 → iPhone", "one-way")]
    assert kept() == ["顾客 = 客户", "手机 -> iPhone"]


def test_a_bad_line_shows_the_form_again_with_the_reason_and_the_typed_text(client, login_as):
    login_as("editor")
    answer = add(client, "顾客 = = 客户")
    assert answer.status_code == 400
    assert "A term is empty" in answer.text
    assert 'value="顾客 = = 客户"' in answer.text
    assert add(client, "# just a comment").status_code == 400
    assert add(client, "").status_code == 400
    assert kept() == []


def test_a_duplicate_is_refused_with_a_message_even_typed_differently(client, login_as):
    login_as("editor")
    add(client, "顾客 = 客户")
    answer = add(client, "客戶 = 顧客")
    assert answer.status_code == 409
    assert "This entry is kept already: 客戶 = 顧客" in answer.text
    assert 'value="客戶 = 顧客"' in answer.text
    assert kept() == ["顾客 = 客户"]


def test_an_editor_changes_an_entry_through_its_edit_form(client, login_as):
    login_as("editor")
    add(client, "顾客 = 客户")
    row = only_row()
    form = client.get(f"{PAGE}/{row.id}/edit")
    assert form.status_code == 200
    assert 'value="顾客 = 客户"' in form.text and 'name="version" value="1"' in form.text
    answer = client.submit(f"{PAGE}/{row.id}/edit", {"line": "顾客 = 客户 = customer", "version": "1"},
                           token_from=f"{PAGE}/{row.id}/edit")
    assert answer.status_code == 303
    assert "Saved: 顾客 = 客户 = customer." in client.get(PAGE).text
    assert kept() == ["顾客 = 客户 = customer"] and only_row().version == 2


def test_a_bad_edit_is_refused_and_keeps_the_entry(client, login_as):
    login_as("editor")
    add(client, "顾客 = 客户")
    row = only_row()
    answer = client.submit(f"{PAGE}/{row.id}/edit", {"line": "顾客 -> 顾客", "version": "1"}, token_from=PAGE)
    assert answer.status_code == 400
    assert 'value="顾客 -&gt; 顾客"' in answer.text and "Saved now: 顾客 = 客户" in answer.text
    assert kept() == ["顾客 = 客户"]


def test_an_edit_made_on_a_stale_version_is_refused_with_409_and_the_other_change_stays(client, login_as):
    editor = login_as("editor")
    add(client, "顾客 = 客户")
    row = only_row()
    assert 'name="version" value="1"' in client.get(f"{PAGE}/{row.id}/edit").text
    synonyms.update(row, parse_line("顾客 = 客户 = customer"), 1, editor)  # someone else, meanwhile
    db.session.commit()

    answer = client.submit(f"{PAGE}/{row.id}/edit", {"line": "顾客 = 客户 = client", "version": "1"},
                           token_from=PAGE)
    assert answer.status_code == 409
    assert "Someone changed this entry meanwhile; nothing of yours was saved." in answer.text
    assert "Saved now: 顾客 = 客户 = customer" in answer.text
    assert 'value="顾客 = 客户 = client"' in answer.text
    assert 'name="version" value="2"' in answer.text  # saving again is a choice made after seeing it
    assert kept() == ["顾客 = 客户 = customer"]


def test_an_edit_into_another_kept_entry_is_refused(client, login_as):
    login_as("editor")
    add(client, "顾客 = 客户")
    add(client, "退款 = refund")
    refund = next(r for r in synonyms.all_entries() if "refund" in r.terms)
    answer = client.submit(f"{PAGE}/{refund.id}/edit", {"line": "客户 = 顾客", "version": "1"}, token_from=PAGE)
    assert answer.status_code == 409 and "kept already" in answer.text
    assert sorted(kept()) == ["退款 = refund", "顾客 = 客户"]


def test_an_editor_deletes_an_entry_with_one_button(client, login_as):
    login_as("editor")
    add(client, "顾客 = 客户")
    row = only_row()
    answer = client.submit(f"{PAGE}/{row.id}/delete", {"version": "1"}, token_from=PAGE)
    assert answer.status_code == 303
    assert "Deleted: 顾客 = 客户." in client.get(PAGE).text
    assert kept() == []
    assert client.submit(f"{PAGE}/{row.id}/delete", {"version": "1"}, token_from=PAGE).status_code == 404


def test_a_delete_on_a_stale_version_is_refused_with_409_and_deletes_nothing(client, login_as):
    editor = login_as("editor")
    add(client, "顾客 = 客户")
    row = only_row()
    synonyms.update(row, parse_line("顾客 = 客户 = customer"), 1, editor)
    db.session.commit()
    answer = client.submit(f"{PAGE}/{row.id}/delete", {"version": "1"}, token_from=PAGE)
    assert answer.status_code == 409
    assert "Someone changed this entry meanwhile; nothing was deleted." in answer.text
    assert kept() == ["顾客 = 客户 = customer"]


def test_every_change_is_in_the_audit_trail_with_who_made_it(client, login_as):
    editor = login_as("editor")
    add(client, "顾客 = 客户")
    row_id = only_row().id
    client.submit(f"{PAGE}/{row_id}/edit", {"line": "顾客 = 客户 = customer", "version": "1"}, token_from=PAGE)
    client.submit(f"{PAGE}/{row_id}/delete", {"version": "2"}, token_from=PAGE)
    db.session.remove()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "synonym")
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [
        ("add_synonym", row_id, editor.id), ("change_synonym", row_id, editor.id), ("delete_synonym", row_id, editor.id)]
    assert events[1].before == {"line": "顾客 = 客户"} and events[1].after == {"line": "顾客 = 客户 = customer"}


# ---- import and export ---------------------------------------------------------------------------------

def import_text(client, text: str):
    return client.submit(f"{PAGE}/import", {"text": text}, token_from=PAGE)


def import_file(client, data: bytes, name: str = "synonyms.txt"):
    return client.submit(f"{PAGE}/import", {"file": (io.BytesIO(data), name)}, token_from=PAGE,
                         content_type="multipart/form-data")


def test_an_import_adds_the_new_entries_and_leaves_kept_ones(client, login_as):
    login_as("editor")
    add(client, "顾客 = 客户")
    answer = import_text(client, "# from the team\n客户 = 顾客\n退款 = 退钱 = refund\nNPS = 净推荐值\n")
    assert answer.status_code == 303
    assert "2 entries added; 1 kept already were left as they are." in client.get(PAGE).text
    assert sorted(kept()) == sorted(["顾客 = 客户", "退款 = 退钱 = refund", "NPS = 净推荐值"])


def test_an_import_with_a_bad_line_imports_nothing_and_names_every_bad_line(client, login_as):
    login_as("editor")
    text = "顾客 = 客户\n退款 = \nNPS = 净推荐值\nx -> y -> z\n"
    answer = import_text(client, text)
    assert answer.status_code == 400
    assert "Line 2: A term is empty" in answer.text and "Line 4: Use either" in answer.text
    assert "NPS = 净推荐值\nx -&gt; y -&gt; z" in answer.text  # the pasted text is kept
    assert kept() == []


def test_the_export_is_a_utf8_text_file_that_imports_back_the_same_entries(client, login_as):
    login_as("editor")
    for line in ("顾客 = 客户 = customer", "手机 -> iPhone, Android phone", "NPS = 净推荐值 = net promoter score"):
        assert add(client, line).status_code == 303
    before = kept()
    exported = client.get(f"{PAGE}/export")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert exported.headers["Content-Disposition"] == 'attachment; filename="synonyms.txt"'
    assert "手机 -> iPhone, Android phone" in exported.data.decode("utf-8")

    for row in synonyms.all_entries():
        synonyms.delete(row, row.version, None)
    db.session.commit()
    assert kept() == []
    assert import_file(client, exported.data).status_code == 303
    assert kept() == before


def test_a_file_import_is_refused_when_it_is_not_a_small_utf8_txt_file(client, login_as):
    login_as("editor")
    assert "Choose a .txt file." in import_file(client, "顾客 = 客户".encode(), "synonyms.csv").text
    assert "not UTF-8" in import_file(client, "顾客 = 客户".encode("gb18030")).text
    too_big = import_file(client, b"# padding\n" * 30_000)
    assert too_big.status_code == 400 and "larger than 256 KB" in too_big.text
    assert import_file(client, b"a\x00b = c").status_code == 400
    both = client.submit(f"{PAGE}/import", {"text": "退款 = refund", "file": (io.BytesIO("顾客 = 客户".encode()), "s.txt")},
                         token_from=PAGE, content_type="multipart/form-data")
    assert both.status_code == 400 and "not both" in both.text
    assert import_text(client, "  \n").status_code == 400
    assert kept() == []


TERM = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=70)
LINE = st.builds(lambda terms, separator: separator.join(terms), st.lists(TERM, max_size=6),
                 st.sampled_from([" = ", " -> ", ", ", "=", "→", "，", "\u3000=\u3000"]))


@FUZZ
@given(line=LINE, lines=st.lists(LINE, max_size=5))
def test_whatever_is_typed_or_imported_the_page_answers_and_keeps_only_whole_entries(app, client, login_as, line, lines):
    if not getattr(app, "_fuzz_logged_in", False):
        login_as("editor")
        app._fuzz_logged_in = True
    count = lambda: db.session.scalar(select(func.count()).select_from(Synonym))  # noqa: E731
    before = count()
    answer = add(client, line)
    assert answer.status_code in (303, 400, 409)
    assert count() == before + (1 if answer.status_code == 303 else 0)
    before = count()
    answer = import_text(client, "\n".join(lines))
    assert answer.status_code in (303, 400)
    assert answer.status_code == 303 or count() == before


# ---- who may -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "trainer", "quality_lead"])
def test_people_without_the_permission_may_neither_see_nor_change_synonyms(client, login_as, role):
    login_as(role)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/export").status_code == 403
    assert client.post(PAGE, data={"csrf_token": client.csrf(), "line": "顾客 = 客户"}).status_code == 403
    assert kept() == []


def test_a_visitor_is_sent_to_the_login_page(client):
    answer = client.get(PAGE)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize("role", ["publisher", "admin"])
def test_publishers_and_admins_keep_synonyms_too(client, login_as, role):
    login_as(role)
    assert add(client, "顾客 = 客户").status_code == 303
    assert kept() == ["顾客 = 客户"]


def test_a_change_without_the_csrf_token_is_refused_and_saves_nothing(client, login_as):
    login_as("editor")
    answer = client.post(PAGE, data={"line": "顾客 = 客户"})
    assert answer.status_code == 400 and "The form expired" in answer.text
    assert client.post(f"{PAGE}/import", data={"text": "顾客 = 客户"}).status_code == 400
    assert client.post(f"{PAGE}/accept", data={"a": "顾客", "b": "客户"}).status_code == 400
    assert kept() == []


def test_the_search_report_and_content_health_link_the_synonym_page_for_those_who_may(client, login_as):
    login_as("editor")
    assert f'href="{PAGE}"' in client.get("/search/report").text
    assert f'href="{PAGE}"' in client.get("/kb/health").text


def test_a_quality_lead_sees_no_synonym_link(client, login_as):
    login_as("quality_lead")
    assert f'href="{PAGE}"' not in client.get("/search/report").text
    assert f'href="{PAGE}"' not in client.get("/kb/health").text


# ---- the effect on search ------------------------------------------------------------------------------

def index_state() -> tuple:
    index = search_index()
    return index.current_name(), index.open().latest_generation()


def test_a_group_added_on_the_page_finds_the_other_word_at_the_next_search_without_a_rebuild(
        client, login_as, make_article):
    make_article(title="积分兑换礼品", body="客户可以用积分兑换礼品。", language="zh")
    login_as("editor")
    assert found(client, "顾客") == []
    before = index_state()
    assert add(client, "顾客 = 客户").status_code == 303
    assert found(client, "顾客") == ["积分兑换礼品"]
    assert index_state() == before
    assert pending_count() == 0


def test_a_one_way_entry_finds_its_right_side_but_not_back(client, login_as, make_article):
    make_article(title="iPhone screen repair", body="Book an iPhone screen repair at the counter.")
    make_article(title="手机充电问题", body="手机无法充电时，先检查充电线。", language="zh")
    login_as("editor")
    assert found(client, "手机") == ["手机充电问题"]
    add(client, "手机 -> iPhone")
    assert sorted(found(client, "手机")) == sorted(["手机充电问题", "iPhone screen repair"])
    assert found(client, "iPhone") == ["iPhone screen repair"]


def test_a_deleted_entry_stops_applying_at_the_next_search(client, login_as, make_article):
    make_article(title="积分兑换礼品", body="客户可以用积分兑换礼品。", language="zh")
    login_as("editor")
    add(client, "顾客 = 客户")
    assert found(client, "顾客") == ["积分兑换礼品"]
    client.submit(f"{PAGE}/{only_row().id}/delete", {"version": "1"}, token_from=PAGE)
    assert found(client, "顾客") == []


def test_an_article_saved_in_the_same_transaction_as_an_entry_is_indexed_at_the_commit(client, make_user, login_as):
    """An entry is added inside a savepoint; its release is not the commit that indexes the article."""
    owner = make_user("owner", "editor")
    service.create_article(service.ArticleContent(
        title="积分兑换礼品", body="客户可以用积分兑换礼品。", type="knowledge_article", language="zh",
        category_id=categories.ensure_path("Customer care", owner).id, owner_id=owner.id), owner, state="published")
    synonyms.add(parse_line("顾客 = 客户"), owner)
    db.session.commit()
    assert pending_count() == 0
    login_as("staff")
    assert found(client, "顾客") == ["积分兑换礼品"]


# ---- the demo ------------------------------------------------------------------------------------------

def test_the_demo_loads_its_synonyms_as_the_editor(app, client):
    from demo import SYNONYMS
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    lines = parse_text(SYNONYMS.read_text(encoding="utf-8"))
    assert 15 <= len(lines) <= 40
    assert f"Demo synonyms: {len(lines)} entries" in result.output
    assert len(kept()) == len(lines)
    actors = {e.actor.username for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "add_synonym"))}
    assert actors == {"editor"}
    client.submit("/login", {"username": "staff", "password": "servicebook"}, token_from="/login")
    assert "常见问题：退款与补偿" in found(client, "退钱")
    assert "Customer cannot reset their password" in found(client, "忘记密码")
