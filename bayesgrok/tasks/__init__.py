"""bayesgrok.tasks."""
