"""Loading: `StreamingDataLoader`, the batch stream its workers run, collate and batch memory."""
