"""Public SSH keys that analysts install on their clusters."""
