"""A separate process writing articles (for the index concurrency and crash tests).

    python tests/support/index_writer.py DATABASE_URL SEARCH_INDEX_PATH PREFIX COUNT [--hang]

Creates COUNT articles and revises each once, each in its own commit (indexed after the commit).
With --hang it stops inside the first index write, after the documents are written and before the
commit, and prints HANGING, so the test can kill it with SIGKILL right there.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from accounts.auth import find_user  # noqa: E402
from core.db import db  # noqa: E402
from kb import categories, service  # noqa: E402
from kb.search import index as search_index
from wsgi import create_app  # noqa: E402


def main(url: str, index_path: str, prefix: str, count: int, hang: bool) -> None:
    app = create_app({"DATABASE_URL": url, "SEARCH_INDEX_PATH": index_path, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(Path(index_path).parent), "SEARCH_LOCK_WAIT_SECONDS": 30})
    if hang:
        real = search_index._write_documents

        def hanging(writer, session, article_ids):
            writer.commit = lambda *a, **k: (print("HANGING", flush=True), time.sleep(600))
            real(writer, session, article_ids)
        search_index._write_documents = hanging
    with app.app_context():
        owner = find_user("owner")
        category = categories.ensure_path("Concurrency", owner)
        db.session.commit()
        for n in range(count):
            content = service.ArticleContent(title=f"{prefix} article {n}", body=f"{prefix} body {n}",
                                             type="faq", category_id=category.id, owner_id=owner.id)
            article = service.create_article(content, owner, state="published")
            db.session.commit()
            content.body += " revised"
            service.revise_article(article, article.version, content, owner)
            db.session.commit()
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), "--hang" in sys.argv)
