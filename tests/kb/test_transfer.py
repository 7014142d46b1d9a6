"""Articles to and from Markdown files: `flask kb export` then `flask kb import` keeps every article,
re-importing is idempotent, and a folder with any bad file imports nothing."""
import re
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from core.audit import AuditEvent
from core.db import db
from kb.models import Article, Category, Revision, Tag, article_tags
from kb.transfer import split_front_matter
from tests.support.counting import count as counted

GOOD = """---
title: {title}
type: faq
category: Customer care/Refunds
tags: [refunds]
owner: admin
---

{body}
"""


# ---------------------------------------------------------------- helpers

def kb(app, *args):
    """Run `flask kb ...`; the next query starts from a fresh session, as a new request would."""
    result = app.test_cli_runner().invoke(args=["kb", *args])
    db.session.remove()
    return result


def as_dicts() -> dict[str, dict]:
    db.session.remove()
    return {a.slug: {"title": a.title, "slug": a.slug, "type": a.type, "category": a.category.path,
                     "tags": sorted(a.tag_names), "audience": a.audience, "state": a.state,
                     "owner": a.owner.username, "language": a.language, "review_by": a.review_by,
                     "summary": a.summary, "body": a.body}
            for a in db.session.scalars(select(Article))}


def revisions_by_slug() -> dict[str, int]:
    db.session.remove()
    rows = db.session.execute(select(Article.slug, func.count(Revision.id))
                              .join(Revision, Revision.article_id == Article.id).group_by(Article.slug))
    return dict(rows.all())


def empty_knowledge_base() -> None:
    for table in (article_tags, Revision.__table__, Article.__table__, Tag.__table__, AuditEvent.__table__):
        db.session.execute(delete(table))
    # children before parents: the category tree refers to itself
    while counted(Category, committed=False):
        parents = select(Category.parent_id).where(Category.parent_id.is_not(None))
        db.session.execute(delete(Category).where(Category.id.not_in(parents)))
    db.session.commit()
    db.session.remove()


def write(folder, name: str, text: str | bytes):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.fixture
def admin(make_user):
    return make_user("admin", "admin")


@pytest.fixture
def varied_articles(admin, make_user, make_article):
    """Several articles that differ in every field the files carry, English and Chinese."""
    zhang = make_user("zhang", "editor")
    make_article(title="How to handle a complaint", tags=["complaints", "escalation"],
                 summary="Steps from first contact to closure.", review_by=date(2027, 5, 31))
    make_article(title="FAQ: refunds & returns — \"quick\" answers", type="faq",
                 category="Customer care/Refunds/Online", audience="public", state="draft", tags=["refunds"],
                 body="## Can I get a refund?\n\nYes: within 30 days.\n\n---\n\n*Last line* with trailing space \n")
    make_article(title="投诉处理流程", type="procedure", category="客户服务/投诉", owner=zhang, language="zh",
                 body="## 问题 (Issue)\n\n客户投诉服务态度。\n\n## 解决方法 (Resolution)\n\n1. 倾听\n2. 道歉\n",
                 tags=["投诉", "服务"], summary="从受理到结案的步骤。", review_by=date(2026, 12, 1),
                 state="review")
    make_article(title="电话礼仪", type="service_standard", category="客户服务/投诉", owner=zhang,
                 language="zh", body="接听电话时先问好。\n", audience="trainees", state="archived")
    make_article(title="Yes", type="best_practice", category="Quality", summary="2024",
                 body="A title YAML would read as true.\n", tags=["yaml", "edge-case"])


# ---------------------------------------------------------------- export, then import

def test_export_then_import_into_an_empty_database_gives_the_same_articles(app, varied_articles, tmp_path):
    before = as_dicts()
    assert len(before) == 5

    exported = kb(app, "export", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    assert len(list((tmp_path / "out").glob("*.md"))) == 5

    empty_knowledge_base()
    assert counted(Article, committed=False) == 0 and counted(Category, committed=False) == 0

    imported = kb(app, "import", str(tmp_path / "out"), "--as", "admin")
    assert imported.exit_code == 0, imported.output
    assert "5 created, 0 updated, 0 unchanged" in imported.output
    assert as_dicts() == before


def test_exported_files_are_readable_utf8_markdown_with_front_matter(app, varied_articles, tmp_path):
    kb(app, "export", str(tmp_path))
    text = (tmp_path / "投诉处理流程.md").read_text(encoding="utf-8")
    meta, body = split_front_matter(text)
    assert "投诉处理流程" in text.split("---")[1]  # written as Chinese, not \u escapes
    assert meta["category"] == "客户服务/投诉"
    assert meta["review_by"] == date(2026, 12, 1)
    assert body.startswith("## 问题 (Issue)")


def test_importing_the_same_folder_twice_creates_no_duplicates_and_reports_unchanged(app, varied_articles, tmp_path):
    kb(app, "export", str(tmp_path))
    empty_knowledge_base()
    assert kb(app, "import", str(tmp_path), "--as", "admin").exit_code == 0
    revisions = revisions_by_slug()

    again = kb(app, "import", str(tmp_path), "--as", "admin")
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 5 unchanged" in again.output
    assert counted(Article, committed=False) == 5
    assert revisions_by_slug() == revisions


def test_importing_hand_written_files_twice_reports_unchanged_whatever_the_tag_order(app, admin, tmp_path):
    write(tmp_path, "greeting.md", "---\ntitle: Greeting\ntype: faq\ncategory: Customer care\n"
                                   "tags: [zeta, alpha, Mid]\nowner: admin\n---\nSay hello.\n")
    assert "1 created" in kb(app, "import", str(tmp_path), "--as", "admin").output

    again = kb(app, "import", str(tmp_path), "--as", "admin")
    assert "0 created, 0 updated, 1 unchanged" in again.output, again.output
    assert revisions_by_slug() == {"greeting": 1}


def test_reimporting_an_edited_file_makes_a_new_revision_for_that_article_only(app, varied_articles, tmp_path):
    kb(app, "export", str(tmp_path))
    revisions = revisions_by_slug()
    path = tmp_path / "投诉处理流程.md"
    path.write_text(path.read_text(encoding="utf-8") + "3. 记录\n", encoding="utf-8")

    result = kb(app, "import", str(tmp_path), "--as", "admin")
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 4 unchanged" in result.output
    assert revisions_by_slug() == revisions | {"投诉处理流程": revisions["投诉处理流程"] + 1}
    assert as_dicts()["投诉处理流程"]["body"].endswith("2. 道歉\n3. 记录\n")


def test_reimporting_a_file_with_a_new_state_changes_the_state_without_a_revision(app, varied_articles, tmp_path):
    kb(app, "export", str(tmp_path))
    revisions = revisions_by_slug()
    path = tmp_path / "yes.md"
    path.write_text(path.read_text(encoding="utf-8").replace("state: published", "state: archived"),
                    encoding="utf-8")

    result = kb(app, "import", str(tmp_path), "--as", "admin")
    assert "0 created, 1 updated, 4 unchanged" in result.output, result.output
    assert as_dicts()["yes"]["state"] == "archived"
    assert revisions_by_slug() == revisions


# ---------------------------------------------------------------- bad folders import nothing

def import_refused(app, folder) -> str:
    """Import `folder`, which must fail as a whole: nothing written, the problems listed."""
    articles, categories, tags = counted(Article, committed=False), counted(Category, committed=False), counted(Tag, committed=False)
    result = kb(app, "import", str(folder), "--as", "admin")
    assert result.exit_code == 1, result.output
    assert "Nothing was imported" in result.output
    assert "Traceback" not in result.output
    assert (counted(Article, committed=False), counted(Category, committed=False), counted(Tag, committed=False)) == (articles, categories, tags)
    return result.output


def test_a_file_with_broken_yaml_is_reported_and_nothing_imported(app, admin, tmp_path):
    write(tmp_path, "broken.md", "---\ntitle: [unclosed\ntype: faq\n---\nBody.\n")
    output = import_refused(app, tmp_path)
    assert "broken.md: the front matter is not valid YAML" in output


def test_a_file_without_the_closing_front_matter_line_is_reported(app, admin, tmp_path):
    write(tmp_path, "open.md", "---\ntitle: Open\ntype: faq\ncategory: Customer care\nowner: admin\n\nBody.\n")
    assert "open.md: the front matter has no closing '---' line" in import_refused(app, tmp_path)


def test_a_file_without_front_matter_is_reported(app, admin, tmp_path):
    write(tmp_path, "plain.md", "# Just Markdown\n\nNo front matter.\n")
    assert "plain.md: does not start with a '---' front matter line" in import_refused(app, tmp_path)


def test_a_file_without_a_title_is_reported(app, admin, tmp_path):
    write(tmp_path, "untitled.md", "---\ntype: faq\ncategory: Customer care\nowner: admin\n---\nBody.\n")
    assert "untitled.md: missing 'title'" in import_refused(app, tmp_path)


def test_a_file_with_an_unknown_type_is_reported(app, admin, tmp_path):
    write(tmp_path, "memo.md", GOOD.format(title="Memo", body="Body.").replace("type: faq", "type: memo"))
    assert "memo.md: unknown type 'memo'; use one of knowledge_article" in import_refused(app, tmp_path)


def test_a_file_with_an_unknown_state_is_reported(app, admin, tmp_path):
    write(tmp_path, "live.md", GOOD.format(title="Live", body="Body.").replace("owner:", "state: live\nowner:"))
    assert "live.md: unknown state 'live'" in import_refused(app, tmp_path)


def test_a_file_with_an_unknown_owner_is_reported(app, admin, tmp_path):
    write(tmp_path, "nobody.md", GOOD.format(title="Nobody", body="Body.").replace("owner: admin", "owner: ghost"))
    assert "nobody.md: owner 'ghost' is not a user" in import_refused(app, tmp_path)


def test_a_file_with_a_10_mb_body_is_reported_as_too_large(app, admin, tmp_path):
    write(tmp_path, "huge.md", GOOD.format(title="Huge", body="a" * 10_000_000))
    output = import_refused(app, tmp_path)
    assert "huge.md: the file is" in output and "too large" in output


def test_a_body_over_the_character_limit_is_reported_with_the_limit(app, admin, tmp_path):
    write(tmp_path, "long.md", GOOD.format(title="Long", body="a" * 1_200_000))
    assert "long.md: the body has 1,200,001 characters; the limit is 1,000,000" in import_refused(app, tmp_path)


def test_a_file_that_is_not_utf8_is_reported(app, admin, tmp_path):
    write(tmp_path, "latin1.md", GOOD.format(title="Café", body="Crème brûlée.").encode("latin-1"))
    assert "latin1.md: not UTF-8 text" in import_refused(app, tmp_path)


def test_a_file_with_a_nul_character_is_reported(app, admin, tmp_path):
    write(tmp_path, "nul.md", GOOD.format(title="Nul", body="Before\x00after."))
    assert "nul.md: contains a NUL character" in import_refused(app, tmp_path)


def test_two_files_with_the_same_slug_are_reported(app, admin, tmp_path):
    write(tmp_path, "one.md", GOOD.format(title="One", body="Body.").replace("owner:", "slug: refunds\nowner:"))
    write(tmp_path, "two.md", GOOD.format(title="Two", body="Body.").replace("owner:", "slug: refunds\nowner:"))
    assert "slug 'refunds' is used by more than one file" in import_refused(app, tmp_path)


def test_a_file_whose_name_and_another_files_slug_collide_is_reported(app, admin, tmp_path):
    write(tmp_path, "refunds.md", GOOD.format(title="One", body="Body."))
    write(tmp_path, "other.md", GOOD.format(title="Two", body="Body.").replace("owner:", "slug: Refunds\nowner:"))
    assert "slug 'refunds' is used by more than one file" in import_refused(app, tmp_path)


def test_a_good_file_next_to_a_bad_one_is_not_imported_either(app, admin, tmp_path):
    write(tmp_path, "a-good.md", GOOD.format(title="Good", body="Fine."))
    write(tmp_path, "b-bad.md", GOOD.format(title="Bad", body="Body.").replace("type: faq", "type: memo"))
    output = import_refused(app, tmp_path)
    assert "b-bad.md" in output and "a-good.md" not in output
    assert counted(Article, committed=False) == 0


def test_a_good_file_next_to_an_unreadable_one_is_not_imported_either(app, admin, tmp_path):
    write(tmp_path, "a-good.md", GOOD.format(title="Good", body="Fine."))
    write(tmp_path, "b-bad.md", b"---\ntitle: \xff\xfe\n---\n")
    assert "b-bad.md: not UTF-8 text" in import_refused(app, tmp_path)
    assert counted(Article, committed=False) == 0


def test_a_bad_folder_leaves_existing_articles_as_they_were(app, varied_articles, tmp_path):
    kb(app, "export", str(tmp_path))
    before, revisions = as_dicts(), revisions_by_slug()
    path = tmp_path / "yes.md"
    path.write_text(path.read_text(encoding="utf-8") + "An edit.\n", encoding="utf-8")
    write(tmp_path, "zz-bad.md", GOOD.format(title="Bad", body="Body.").replace("owner: admin", "owner: ghost"))
    import_refused(app, tmp_path)
    assert as_dicts() == before
    assert revisions_by_slug() == revisions


def test_every_bad_file_is_reported_not_only_the_first(app, admin, tmp_path):
    write(tmp_path, "a.md", GOOD.format(title="A", body="Body.").replace("type: faq", "type: memo"))
    write(tmp_path, "b.md", GOOD.format(title="B", body="Body.").replace("owner:", "audience: everyone\nowner:"))
    write(tmp_path, "c.md", GOOD.format(title="C", body="Body.").replace("owner: admin", "owner: ghost"))
    write(tmp_path, "d.md", GOOD.format(title="D", body="Body.").replace("owner:", "language: fr\nowner:"))
    output = import_refused(app, tmp_path)
    assert "a.md: unknown type 'memo'" in output
    assert "b.md: unknown audience 'everyone'" in output
    assert "c.md: owner 'ghost'" in output
    assert "d.md: unknown language 'fr'" in output


def test_every_file_the_article_rules_refuse_is_reported_not_only_the_first(app, admin, tmp_path):
    write(tmp_path, "a.md", GOOD.format(title="' '", body="Body."))
    write(tmp_path, "b.md", GOOD.format(title="B", body="Body.").replace("[refunds]", f"[{'x' * 41}]"))
    output = import_refused(app, tmp_path)
    assert "a.md: The title is empty." in output
    assert "b.md: A tag is longer than 40 characters." in output


def test_a_file_with_an_empty_category_path_is_reported_not_a_crash(app, admin, tmp_path):
    write(tmp_path, "nowhere.md", GOOD.format(title="Nowhere", body="Body.").replace(
        "category: Customer care/Refunds", "category: ' / '"))
    assert "nowhere.md" in import_refused(app, tmp_path)


def test_a_file_with_a_too_long_category_name_is_reported_not_a_crash(app, admin, tmp_path):
    write(tmp_path, "deep.md", GOOD.format(title="Deep", body="Body.").replace(
        "category: Customer care/Refunds", f"category: Customer care/{'x' * 81}"))
    assert "deep.md" in import_refused(app, tmp_path)


def test_a_file_with_an_impossible_review_date_is_reported(app, admin, tmp_path):
    write(tmp_path, "date.md",
          GOOD.format(title="Date", body="Body.").replace("owner:", "review_by: 2027-13-45\nowner:"))
    assert "date.md" in import_refused(app, tmp_path)


def test_importing_a_folder_that_does_not_exist_is_refused(app, admin, tmp_path):
    assert "not a folder" in import_refused(app, tmp_path / "missing")


def test_importing_as_an_unknown_user_is_refused(app, tmp_path):
    write(tmp_path, "a.md", GOOD.format(title="A", body="Body."))
    result = kb(app, "import", str(tmp_path), "--as", "ghost")
    assert result.exit_code != 0
    assert "No user named 'ghost'" in result.output
    assert counted(Article, committed=False) == 0


# ---------------------------------------------------------------- split_front_matter

def test_split_front_matter_reads_the_keys_and_the_body():
    meta, body = split_front_matter("---\ntitle: Refunds\ntags: [a, b]\nreview_by: 2027-01-31\n---\n\n## Issue\n")
    assert meta == {"title": "Refunds", "tags": ["a", "b"], "review_by": date(2027, 1, 31)}
    assert body == "## Issue\n"


def test_split_front_matter_accepts_a_byte_order_mark_and_windows_line_ends():
    meta, body = split_front_matter("\ufeff---\r\ntitle: 退款\r\n---\r\nLine one\r\nLine two\r\n")
    assert meta == {"title": "退款"}
    assert body == "Line one\nLine two\n"


def test_split_front_matter_keeps_a_horizontal_rule_in_the_body():
    meta, body = split_front_matter("---\ntitle: A\n---\nAbove\n\n---\n\nBelow\n")
    assert meta == {"title": "A"}
    assert body == "Above\n\n---\n\nBelow\n"


def test_split_front_matter_gives_an_empty_body_when_the_file_ends_after_the_front_matter():
    assert split_front_matter("---\ntitle: A\n---") == ({"title": "A"}, "")
    assert split_front_matter("---\ntitle: A\n---\n") == ({"title": "A"}, "")


def test_split_front_matter_refuses_text_without_an_opening_line():
    with pytest.raises(ValueError, match="does not start with a '---'"):
        split_front_matter("title: A\n---\nBody\n")


def test_split_front_matter_refuses_a_front_matter_without_a_closing_line():
    with pytest.raises(ValueError, match="no closing '---' line"):
        split_front_matter("---\ntitle: A\n\nBody\n")


def test_split_front_matter_says_on_which_line_the_yaml_is_broken():
    with pytest.raises(ValueError, match="not valid YAML at line 3: mapping values are not allowed"):
        split_front_matter("---\ntitle: A\n  bad: indent\n---\nBody\n")


def test_split_front_matter_refuses_a_front_matter_that_is_not_key_value_lines():
    with pytest.raises(ValueError, match="not a list of 'key: value' lines"):
        split_front_matter("---\n- a\n- b\n---\nBody\n")
    with pytest.raises(ValueError, match="not a list of 'key: value' lines"):
        split_front_matter("---\n---\nBody\n")


def test_split_front_matter_reads_a_multi_line_summary():
    meta, body = split_front_matter("---\nsummary: |\n  one\n  two\ntitle: A\n---\nBody\n")
    assert meta == {"summary": "one\ntwo\n", "title": "A"}
    assert body == "Body\n"


# ---------------------------------------------------------------- thousands of files

def titles_found(app, words: str) -> set[str]:
    from accounts.auth import find_user
    from kb import search
    return {hit.title for hit in search.search(words, find_user("admin"), page_size=50).hits}


def test_a_bulk_import_commits_in_batches_shows_its_progress_and_indexes_once(app, admin, tmp_path, monkeypatch):
    from kb.search import index as search_index
    for n in range(7):
        write(tmp_path / "in", f"parcel-{n}.md", GOOD.format(title=f"Parcel locker {n}", body="Parcel locker codes."))
    commits, indexings = [], []
    monkeypatch.setattr(db.session, "commit", lambda real=db.session.commit: commits.append(1) or real())
    monkeypatch.setattr(search_index, "catch_up", lambda real=search_index.catch_up, **kw: indexings.append(1) or real(**kw))
    result = kb(app, "import", str(tmp_path / "in"), "--batch", "3")
    assert result.exit_code == 0, result.output
    assert "7 created, 0 updated, 0 unchanged." in result.output
    assert re.search(r"Importing: 7 files in [0-9.]+ s \([0-9,]+/s\)", result.output)
    assert re.search(r"Indexing: 7 articles in [0-9.]+ s", result.output) and "Indexed 7 articles." in result.output
    assert len(commits) == 3  # after files 3 and 6, then the rest
    assert len(indexings) == 1  # once at the end, not after each commit
    assert titles_found(app, "parcel") == {f"Parcel locker {n}" for n in range(7)}
    assert search_index.pending_count() == 0 and not search_index.check().any


def test_an_interrupted_bulk_import_keeps_its_batches_and_a_second_run_adds_the_rest_without_duplicates(
        app, admin, tmp_path, monkeypatch):
    from kb import transfer
    from kb.search import index as search_index
    for n in range(7):
        write(tmp_path / "in", f"parcel-{n}.md", GOOD.format(title=f"Parcel locker {n}", body="Parcel locker codes."))
    real, calls = transfer._import_one, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # Ctrl-C while the second batch is being written
        return real(*args)

    monkeypatch.setattr(transfer, "_import_one", interrupted)
    result = kb(app, "import", str(tmp_path / "in"), "--batch", "2")
    assert result.exit_code == 130 and "Interrupted" in result.output
    assert sorted(as_dicts()) == ["parcel-0", "parcel-1", "parcel-2", "parcel-3"]  # two whole batches
    assert titles_found(app, "parcel") == {f"Parcel locker {n}" for n in range(4)}  # indexed all the same
    monkeypatch.setattr(transfer, "_import_one", real)
    again = kb(app, "import", str(tmp_path / "in"), "--batch", "2")
    assert again.exit_code == 0 and "3 created, 0 updated, 4 unchanged." in again.output
    assert sorted(as_dicts()) == [f"parcel-{n}" for n in range(7)]
    assert revisions_by_slug() == {f"parcel-{n}": 1 for n in range(7)}
    assert titles_found(app, "parcel") == {f"Parcel locker {n}" for n in range(7)}
    assert not search_index.check().any and search_index.pending_count() == 0


def test_a_bulk_import_of_most_of_the_index_rebuilds_it_aside_on_every_core(app, admin, tmp_path, monkeypatch):
    from kb.search import index as search_index
    monkeypatch.setattr(search_index, "BULK_REBUILD_FROM", 3)
    for n in range(6):
        write(tmp_path / "in", f"parcel-{n}.md", GOOD.format(title=f"Parcel locker {n}", body="Parcel locker codes."))
    before = search_index.search_index().current_name()
    result = kb(app, "import", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert search_index.search_index().current_name() != before  # a new folder, swapped in
    assert titles_found(app, "parcel") == {f"Parcel locker {n}" for n in range(6)}
    assert not search_index.check().any and search_index.pending_count() == 0
    assert search_index.segment_count() == 1  # as fast to search as after `flask search optimize`
