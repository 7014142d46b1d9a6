"""The two halves link both ways: a best practice standardised from an improvement links back to it."""
from sqlalchemy import select

from core.db import db
from improvement.models import ArticleLink


def test_a_standardised_article_links_back_to_its_improvement(app, client, login_as):
    assert app.test_cli_runner().invoke(args=["init", "--demo"]).exit_code == 0
    link = db.session.scalar(select(ArticleLink).where(ArticleLink.kind == "standard"))
    assert link.article.type == "best_practice" and link.article.state == "draft"
    login_as("editor", "eve")
    page = client.get(f"/kb/articles/{link.article_id}").text
    assert "From the improvement register:" in page
    assert f'href="/improvements/{link.improvement_id}"' in page
