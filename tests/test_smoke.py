def test_home_page_shows_published_public_articles_to_visitors(client, make_article):
    make_article(title="Refund rules for customers", audience="public")
    make_article(title="Internal escalation ladder", audience="staff")
    page = client.get("/")
    assert page.status_code == 200
    assert "Refund rules for customers" in page.text
    assert "Internal escalation ladder" not in page.text
