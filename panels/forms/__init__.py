"""Forms of the panels app, one module per journey (formation; scoring and consensus)."""
