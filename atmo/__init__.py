"""ATMO: a self-service portal for on-demand Spark clusters and scheduled Spark jobs."""
