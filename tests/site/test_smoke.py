def test_home_page_shows_published_public_articles_to_visitors(client, make_article):
    make_article(title="Refund rules for customers", audience="public")
    make_article(title="Internal escalation ladder", audience="staff")
    page = client.get("/")
    assert page.status_code == 200
    assert "Refund rules for customers" in page.text
    assert "Internal escalation ladder" not in page.text


def test_the_home_page_lists_the_most_viewed_articles_first_under_most_used(client, make_article):
    quiet = make_article(title="Alpha quiet rule", audience="public")
    busy = make_article(title="Zulu busy rule", audience="public")
    for _ in range(3):
        client.get(f"/kb/articles/{busy.id}")
    client.get(f"/kb/articles/{quiet.id}")
    most_used = client.get("/").text.split("Most used", 1)[1].split("Categories", 1)[0]
    assert most_used.index("Zulu busy rule") < most_used.index("Alpha quiet rule")
