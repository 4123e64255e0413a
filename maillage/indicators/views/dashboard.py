"""Placeholder, written by its area's owner."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
