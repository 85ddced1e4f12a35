"""Views of the reports app, one module per output (league table, PCT page, PDF, import)."""
