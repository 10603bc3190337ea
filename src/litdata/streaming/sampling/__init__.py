"""Sampling: which chunks and items each rank and worker reads in an epoch, and where a resumed epoch restarts."""
