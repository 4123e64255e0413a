from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("new/", views.organisation_create, name="create"),
    path("<int:pk>/", views.organisation_detail, name="detail"),
    path("<int:pk>/edit/", views.organisation_edit, name="edit"),
    path("<int:pk>/members/invite/", views.member_invite, name="member_invite"),
    path("<int:pk>/members/<int:membership_pk>/", views.member_edit, name="member_edit"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
