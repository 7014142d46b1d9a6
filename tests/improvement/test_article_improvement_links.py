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


def test_a_quality_lead_links_an_article_by_its_link_number_or_slug(client, login_as, make_article, make_improvement):
    refund = make_article(title="Refund rules", body="x")
    draft = make_article(title="Secret draft", body="x", state="draft")
    improvement = make_improvement()
    login_as("quality_lead", "lena")
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/articles", {"article": f"http://localhost/kb/articles/{refund.id}/{refund.slug}"},
                           token_from=page)
    assert answer.status_code == 303
    shown = client.get(page).text
    assert f'href="/kb/articles/{refund.id}/{refund.slug}"' in shown
    refused = client.submit(f"{page}/articles", {"article": "no-such-article"}, token_from=page)
    assert refused.status_code == 400 and "There is no article no-such-article that you may see." in refused.text
    hidden = client.submit(f"{page}/articles", {"article": str(draft.id)}, token_from=page)
    assert hidden.status_code == 400  # a quality lead does not see drafts, so cannot link one
    assert client.submit(f"{page}/articles", {"article": refund.slug}, token_from=page).status_code == 303
    from improvement import service as improvement_service
    assert [i.id for i in improvement_service.improvements_for_article(refund.id)] == [improvement.id]
