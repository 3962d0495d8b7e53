"""Browser tests for the web chat widget (web/)."""
