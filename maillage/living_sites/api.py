"""JSON API of the living sites (written by its area's owner)."""

from ninja import Router

router = Router(tags=["living sites"])
