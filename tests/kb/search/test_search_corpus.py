"""Search quality on the reference corpus (1,803 real manual pages, 703 of them Chinese).

Every Chinese query of ../shared/corpus/search-queries.json must find every page whose text holds
it (computed here by plain substring match), and every English query the pages holding all its
words, whatever their endings. Loaded once, through the importer, on SQLite (search does not
depend on the database).
"""
import re

import pytest

from accounts import auth
from bench import corpus
from core import migrate
from core.db import db
from kb import search
from kb.models import Article
from kb.search import index as search_index
from wsgi import create_app

pytestmark = pytest.mark.skipif(not corpus.available(), reason="the reference corpus is not in ../shared/corpus")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    url = f"sqlite:///{folder / 'corpus.db'}"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "test",
                      "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        auth.create_user("admin", ["admin"], "correct horse battery")
        auth.create_user("reader", ["staff"], "correct horse battery")
        db.session.commit()
        corpus.import_corpus(corpus.pages())
        texts = {a.id: f"{a.title}\n{a.summary}\n{search_index.plain_text(a.body_html)}" for a in db.session.query(Article)}
        yield auth.find_user("reader"), texts
        db.session.remove()
    db.engine.dispose()


def queries(lang: str) -> list[str]:
    return [q["q"] for q in corpus.queries() if q["lang"] == lang] if corpus.available() else []


def test_the_whole_corpus_is_indexed_without_drift(loaded):
    _, texts = loaded
    assert len(texts) == 1803
    assert not search_index.check().any


@pytest.mark.parametrize("word", queries("zh"))
def test_a_chinese_query_finds_every_page_that_contains_it(loaded, word):
    reader, texts = loaded
    expected = {article_id for article_id, text in texts.items() if word in text}
    assert expected, f"no page holds {word!r}"
    assert search.matching_ids(word, reader) >= expected


@pytest.mark.parametrize("words", queries("en"))
def test_an_english_query_finds_every_page_with_all_its_words(loaded, words):
    reader, texts = loaded
    patterns = [re.compile(rf"\b{re.escape(w)}\b", re.I) for w in words.split()]
    expected = {article_id for article_id, text in texts.items() if all(p.search(text) for p in patterns)}
    assert expected, f"no page holds {words!r}"
    assert search.matching_ids(words, reader) >= expected


def test_english_queries_also_find_other_forms_of_their_words(loaded):
    reader, texts = loaded
    exact = {i for i, t in texts.items() if re.search(r"\bdescriptors\b", t, re.I)}
    stemmed = search.matching_ids("descriptor", reader)
    assert exact <= stemmed and len(stemmed) > len({i for i, t in texts.items() if re.search(r"\bdescriptor\b", t, re.I)})
