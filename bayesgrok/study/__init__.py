"""bayesgrok.study."""
