"""bayesgrok: grokking across model families."""
