"""Forms of the Indicators module."""
