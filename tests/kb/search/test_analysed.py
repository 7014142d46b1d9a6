"""A rebuild analyses the articles ahead in worker processes (kb.search.analysed): the index it makes must hold
exactly what a writer analysing every article itself makes, and a worker that dies must lose nothing."""
import os

from sqlalchemy.orm import Session
from whoosh import index as whoosh_index

from core.db import db
from kb.search import analysed
from kb.search import index as search_index
from kb.search.run import search

TEXTS = [
    ("How to refund a gift card", "## Issue\n\nThe customer's gift card was charged twice.\n\n## Resolution\n\n"
                                  "Refund the **second** charge; processing takes 3 days."),
    ("客户投诉怎么处理", "## 问题\n\n客户投诉服务态度，子进程与进程管理。\n\n## 解决方法\n\n倾听、道歉、跟进。"),
    ("帳戶退貨流程", "顧客申請退貨時，先核對帳戶與訂單。Traditional 與 English 混合。"),
    ("File system permissions", "chmod changes a file's mode; the file system keeps the owner.\n\n" * 5),
    ("Empty body", ""),
]


def build(folder, processes: int) -> None:
    """An index in `folder` of every article, written as rebuild writes it, analysed by `processes`."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), search_index.make_schema())
    writer = ix.writer()
    with Session(db.engine) as session:
        docs = (search_index.document(a) for a in search_index.all_articles(session))
        for doc in analysed.documents_analysed(docs, ix.schema, processes):
            writer.add_document(**analysed.for_schema(doc, ix.schema))
    writer.commit(optimize=True)


def contents(folder) -> dict:
    """Everything a search reads: each field's terms with their postings (document, weight, positions and
    character offsets), the stored fields and the field lengths."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        postings = {}
        for fieldname, text in reader.all_terms():
            postings[(fieldname, text)] = list(_all(reader.postings(fieldname, text)))
        stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        lengths = {f: [reader.doc_field_length(n, f) for n in range(reader.doc_count_all())]
                   for f in ("title", "tags", "summary", "body", "words")}
    return {"postings": postings, "stored": stored, "lengths": lengths}


def _all(matcher):
    while matcher.is_active():
        yield matcher.id(), matcher.weight(), matcher.value()
        matcher.next()


def make_articles(make_article, copies: int = 1):
    for copy in range(copies):
        for n, (title, body) in enumerate(TEXTS):
            make_article(title=f"{title} {copy}", body=body, tags=[f"tag{n}"], summary="摘要 summary" if n else None,
                         language="zh" if n in (1, 2) else "en")


def test_workers_make_exactly_the_index_a_writer_analysing_alone_makes(app, make_article, tmp_path):
    make_articles(make_article, copies=9)  # more than a task's chunk, so several workers take part
    build(tmp_path / "alone", 1)
    build(tmp_path / "workers", 2)
    alone, workers = contents(tmp_path / "alone"), contents(tmp_path / "workers")
    assert len(alone["stored"]) == 45 and ("body", "进程".encode()) in alone["postings"]
    assert any(v for postings in alone["postings"].values() for _id, _w, v in postings)  # offsets compared too
    assert workers == alone


def test_the_workers_analyse_and_the_documents_keep_their_order_and_their_stored_text(app, make_article):
    make_articles(make_article, copies=9)
    with Session(db.engine) as session:
        docs = [search_index.document(a) for a in search_index.all_articles(session)]
    out = list(analysed.documents_analysed(iter([dict(d) for d in docs]), search_index.make_schema(), 2))
    assert [d["id"] for d in out] == [d["id"] for d in docs]
    assert all(isinstance(d["body"], analysed.Analysed) for d in out)  # done in the workers, not left to the writer
    assert [d["_stored_body"] for d in out] == [d["body"] for d in docs]
    assert "_stored_words" not in out[0] and "_stored_tags" not in out[0]  # not stored fields: nothing extra kept


def die(_documents):
    """A worker killed while analysing (out of memory, say)."""
    os._exit(1)


def test_a_worker_that_dies_loses_nothing_the_writer_analyses_the_rest(app, make_article, tmp_path, monkeypatch):
    make_articles(make_article, copies=9)
    build(tmp_path / "alone", 1)
    monkeypatch.setattr(analysed, "analyse", die)
    build(tmp_path / "broken", 2)
    assert contents(tmp_path / "broken") == contents(tmp_path / "alone")


def test_one_core_leaves_the_analysis_to_the_writer(app, make_article):
    make_articles(make_article)
    with Session(db.engine) as session:
        docs = [search_index.document(a) for a in search_index.all_articles(session)]
    assert list(analysed.documents_analysed(iter(docs), search_index.make_schema(), 1)) == docs


def test_a_rebuild_on_every_core_finds_what_it_found_before(app, make_article, make_user):
    make_articles(make_article, copies=3)
    staff = make_user("staff", "staff")
    assert search_index.rebuild() == 15
    assert search_index.check().any is False
    found = search("进程", staff)
    assert found.total == 3 and ">进程</mark>" in found.hits[0].snippet
    assert search("帐户 退货", staff).total == 3  # Traditional text found by Simplified words
    assert search("refunds gift card", staff).hits[0].title.startswith("How to refund a gift card")


def _pages_and_weights(found: dict, fieldname: str) -> dict:
    return {text: [(docnum, weight) for docnum, weight, _value in postings]
            for (name, text), postings in found["postings"].items() if name == fieldname}


def test_the_bodys_terms_field_has_the_bodys_pages_and_weights_without_positions(app, make_article, tmp_path):
    """body_terms (what a search scores from) must hold, for every term, exactly the pages and weights of the
    body (what a phrase and a snippet read), whether made from the body's analysis (for_schema, the workers)
    or by analysing the text itself (a writer given the document as it is)."""
    make_articles(make_article, copies=3)
    build(tmp_path / "derived", 2)
    found = contents(tmp_path / "derived")
    body = _pages_and_weights(found, "body")
    assert len(body) > 50 and _pages_and_weights(found, "body_terms") == body
    assert not any(value for (name, _t), postings in found["postings"].items() if name == "body_terms"
               for _id, _w, value in postings)  # no positions: that is the point
    folder = tmp_path / "itself"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), search_index.make_schema())
    writer = ix.writer()
    with Session(db.engine) as session:
        for article in search_index.all_articles(session):
            writer.add_document(**search_index.document(article))  # body_terms given the text
    writer.commit(optimize=True)
    assert _pages_and_weights(contents(folder), "body_terms") == body
