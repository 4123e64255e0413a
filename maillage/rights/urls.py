from django.urls import path

from . import views

app_name = "rights"

urlpatterns = [
    path("", views.start, name="start"),
    path("etape/<slug:slug>/", views.step, name="step"),
    path("resultat/", views.result, name="result"),
    path("resultat/imprimer/", views.result_print, name="result_print"),
    path("resultat/enregistrer/", views.save, name="save"),
    path("resultat/envoyer/", views.email, name="email"),
    path("r/<str:token>/", views.saved, name="saved"),
    path("r/<str:token>/imprimer/", views.saved_print, name="saved_print"),
    path("r/<str:token>/supprimer/", views.saved_delete, name="saved_delete"),
]
