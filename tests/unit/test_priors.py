"""What readers said of an article, as a damped nudge to its rank."""
from kb.search.priors import prior


def test_an_article_nobody_judged_or_used_is_not_moved():
    assert prior(0, 0, 0) == 1.0


def test_helpful_articles_move_up_and_unhelpful_ones_down_by_at_most_a_tenth():
    assert 1.0 < prior(20, 0, 0) <= 1.1
    assert 0.9 <= prior(0, 20, 0) < 1.0
    assert 0.9 <= prior(0, 10_000, 0) and prior(10_000, 0, 10**9) <= 1.1


def test_one_vote_says_little():
    assert abs(prior(1, 0, 0) - 1.0) < 0.01 < abs(prior(10, 0, 0) - 1.0)


def test_reuse_counts_a_little_and_stops_counting_at_a_thousand():
    assert 1.0 < prior(0, 0, 10) < prior(0, 0, 1000) == prior(0, 0, 10**6) <= 1.02
