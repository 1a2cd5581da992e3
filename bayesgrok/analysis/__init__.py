"""bayesgrok.analysis."""
