"""Development-only stand-ins for external services (never imported by the app itself)."""
