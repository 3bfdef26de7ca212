"""Framework-free helpers (environment parsing, dates, names)."""
