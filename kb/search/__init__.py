"""Search: text analysis (English and Chinese), query parsing, the Whoosh index and its sync with the
database, running a search, the search log and report, pages and commands.

`kb.search.search(...)` is the one way to run a search."""
from kb.search.run import SORTS, Filters, Hit, Results, matching_ids, search, suggest_titles

__all__ = ["SORTS", "Filters", "Hit", "Results", "matching_ids", "search", "suggest_titles"]
