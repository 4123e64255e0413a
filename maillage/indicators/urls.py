"""URLs of the Indicators module (namespace ``indicators``), one list per area.

Names used across areas: ``dashboard`` (/indicators/), ``catalogue``, ``indicator_detail``
(code), ``export`` (fmt), ``open_data``, ``entry``, ``entry_template`` (fmt), ``entry_upload``,
``locks``, ``reviews``, ``review_detail`` (pk), ``review_pdf`` (pk), ``review_comments``.
"""

from .views import dashboard, entry, reviews

app_name = "indicators"

urlpatterns = [
    *dashboard.urlpatterns,
    *entry.urlpatterns,
    *reviews.urlpatterns,
]
