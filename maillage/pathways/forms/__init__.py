"""Forms of Pathways, one module per area."""
