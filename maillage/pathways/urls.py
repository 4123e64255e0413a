"""URLs of Pathways (namespace ``pathways``), one list per area.

Names used across areas (keep them stable): ``caseload``, ``household_create``,
``household_detail`` (pk), ``consents`` (pk), ``household_referrals`` (pk), ``referral_inbox``,
``plan`` (pk), ``next_steps``, ``household_appointments`` (pk), ``calendar``, ``rhythm``,
``journal`` (pk), ``outcomes`` (pk), ``privacy`` (pk), ``transfer`` (pk), ``notifications``.
"""

from .views import appointments, consent, gdpr, households, journal, outcomes, plans, referrals, rights

app_name = "pathways"

urlpatterns = [
    *households.urlpatterns,
    *consent.urlpatterns,
    *referrals.urlpatterns,
    *plans.urlpatterns,
    *appointments.urlpatterns,
    *journal.urlpatterns,
    *outcomes.urlpatterns,
    *gdpr.urlpatterns,
    *rights.urlpatterns,
]
