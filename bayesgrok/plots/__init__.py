"""bayesgrok.plots."""
