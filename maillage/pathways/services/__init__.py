"""Writes of Pathways, one module per area: ``<entity>_<verb>(*, actor, ...)``, one transaction,
an audit entry, ``household_touch`` to keep the last activity (the retention clock)."""
