"""Datasets: `StreamingDataset` and the datasets built from it (combined, parallel, keyed, split)."""
