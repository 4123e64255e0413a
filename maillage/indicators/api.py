"""JSON API of the Indicators module (written by its area's owner)."""

from ninja import Router

router = Router(tags=["indicators"])
