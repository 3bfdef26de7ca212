"""On-demand EMR clusters with Spark, Jupyter and Zeppelin."""
