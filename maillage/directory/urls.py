"""Routes of the directory. Public pages opt out of the login requirement in views.py."""

from django.urls import path

from . import views, views_import

app_name = "directory"

urlpatterns = [
    # Public
    path("", views.search, name="search"),
    path("export.csv", views.search_export, {"fmt": "csv"}, name="search_export_csv"),
    path("export.xlsx", views.search_export, {"fmt": "xlsx"}, name="search_export_xlsx"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<int:pk>/print/", views.service_print, name="service_print"),
    path("services/<int:pk>/qr.svg", views.service_qr, name="service_qr"),
    path("structures/<int:pk>/", views.structure_detail, name="structure_detail"),
    path("referents/", views.referent_list, name="referent_list"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    # For members of the network
    path("mine/", views.my_entries, name="my_entries"),
    path("structures/new/", views.structure_create, name="structure_create"),
    path("structures/<int:pk>/edit/", views.structure_edit, name="structure_edit"),
    path("structures/<int:pk>/services/new/", views.service_create, name="service_create"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("referents/new/", views.referent_create, name="referent_create"),
    path("referents/<int:pk>/edit/", views.referent_edit, name="referent_edit"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("<str:kind>/<int:pk>/confirm/", views.entry_confirm, name="entry_confirm"),
    path("<str:kind>/<int:pk>/deactivate/", views.entry_deactivate, name="entry_deactivate"),
    # Imports (coordinators and administrators)
    path("import/", views_import.import_upload, name="import_upload"),
    path("import/<int:pk>/", views_import.import_status, name="import_status"),
]
