"""The knowledge base: articles, their lifecycle and revisions, categories and tags."""
