"""Bounded work per search (kb/search/run.py): matches are counted up to SEARCH_MATCH_CAP and shown as
"more than" beyond it, the facets count the same pages, and the best pages still come first."""
import pytest
from flask import current_app

from accounts.auth import find_user
from kb import search


@pytest.fixture
def cap(app):
    current_app.config["SEARCH_MATCH_CAP"] = 4
    return 4


def test_a_total_past_the_cap_is_shown_as_more_than_and_the_best_page_still_leads(
        client, login_as, make_article, cap):
    for n in range(6):
        make_article(title=f"Parcel note {n}", body="The customer asks about a refund for the parcel.",
                     category="Parcels" if n % 2 else "Billing")
    best = make_article(title="Refund a gift card", body="Refund, refund: how to refund a gift card.",
                        tags=["refund"])  # the last in the index: beyond the pages counted
    login_as("staff")
    answer = client.get("/api/v1/search?q=refund").get_json()
    assert answer["total"] == cap and answer["total_capped"] is True
    assert answer["hits"][0]["id"] == best.id and len(answer["hits"]) == 7  # every match is still rankable
    assert sum(f["count"] for f in answer["facets"]["category"]) == cap
    page = client.get("/search?q=refund").text
    assert "More than 4 articles found" in page and "Counted among the first 4 articles found." in page
    assert "1 article found" in client.get("/search?q=gift").text  # under the cap: exact, no note


def test_without_a_cap_matching_ids_finds_every_page(app, make_article, make_user, cap):
    ids = {make_article(title=f"Refund {n}", body="refund").id for n in range(7)}
    staff = make_user("staff_member", "staff")
    assert search.matching_ids("refund", staff) == ids
    found = search.search("refund", find_user("staff_member"))
    assert found.total == cap and found.capped and len(found.hits) == 7


def test_sorting_by_date_past_the_cap_shows_the_newest_first(app, make_article, make_user, cap):
    made = [make_article(title=f"Refund {n}", body="refund") for n in range(6)]
    staff = make_user("staff_member", "staff")
    found = search.search("refund", staff, sort="date", page_size=3)
    assert [hit.id for hit in found.hits] == [a.id for a in reversed(made)][:3]
    assert found.capped and found.pages == 2
