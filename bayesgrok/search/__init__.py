"""bayesgrok.search."""
