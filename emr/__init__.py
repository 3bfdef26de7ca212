"""What runs on the EMR clusters (see README.md); a package, so the portal imports the runner's checks."""
