from django.contrib import admin

from .models import Invitation, Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "kind", "siret", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "acronym", "siret"]
    raw_id_fields = ["commune"]
    filter_horizontal = ["departments"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]
    search_fields = ["email", "organisation__name"]
