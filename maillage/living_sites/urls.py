"""URLs of the living sites (namespace ``living_sites``), one list per area.

Names used across areas (keep them stable): ``list``, ``site_create``, ``site_detail`` (pk),
``site_edit`` (pk), ``update_create`` (pk), ``map``, ``map_data``, ``export`` (fmt),
``journal`` (pk), ``actions``, ``action_detail`` (pk), ``closure`` (pk).
"""

from .views import actions, closures, exports, journal, map, sites

app_name = "living_sites"

urlpatterns = [
    *map.urlpatterns,
    *exports.urlpatterns,
    *actions.urlpatterns,
    *sites.urlpatterns,
    *journal.urlpatterns,
    *closures.urlpatterns,
]
