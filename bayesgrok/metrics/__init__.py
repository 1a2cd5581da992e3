"""bayesgrok.metrics."""
