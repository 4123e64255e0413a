"""Pages of Pathways, one module per area; each module has its ``urlpatterns`` (see ../urls.py)."""
