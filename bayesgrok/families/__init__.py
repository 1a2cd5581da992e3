"""bayesgrok.families."""
