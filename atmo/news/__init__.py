"""The "What's new" page, rendered from NEWS.md."""
