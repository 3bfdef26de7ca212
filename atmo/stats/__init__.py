"""Usage metrics recorded by the clusters and jobs apps."""
