from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.organisations.permissions import requires_two_factor

from . import services
from .forms import ApiTokenForm, LoginForm, OTPTokenForm, ProfileForm, TOTPConfirmForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _remember_language(response, form.get_user().language)
        return response

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if requires_two_factor(self.request.user):
            return reverse("accounts:two_factor") + "?" + urlencode({"next": url})
        return url


def _remember_language(response: HttpResponse, language: str) -> None:
    """The interface follows the user's preferred language from login on."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("core:home")


def two_factor(request: HttpRequest) -> HttpResponse:
    """Second step of login: verify a code, or set up an authenticator the first time."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(_safe_next(request))
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return two_factor_setup(request)
    form = OTPTokenForm(request.POST or None, user=user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        return redirect(_safe_next(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or request.method == "GET":
        device = services.totp_device_start(actor=user)
    form = TOTPConfirmForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_device_confirm(actor=user, device=device)
        otp_login(request, device)
        return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _safe_next(request)})
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    secret_b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret_b32, "next": _safe_next(request)},
    )


def profile(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ProfileForm(request.POST or None, instance=user, prefix="profile")
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(actor=user, user=user, **form.cleaned_data)
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Your profile has been saved."))
        response = redirect("accounts:profile")
        _remember_language(response, form.cleaned_data["language"])
        return response
    tokens = ApiToken.objects.filter(user=user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "token_form": ApiTokenForm(prefix="token"),
            "has_totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
    )


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ApiTokenForm(request.POST, prefix="token")
    if not form.is_valid():
        messages.error(request, _("The token could not be created: check its name."))
        return redirect("accounts:profile")
    token, raw = services.api_token_create(actor=user, **form.cleaned_data)
    return render(request, "accounts/token_created.html", {"token": token, "raw": raw})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise Http404
    services.api_token_revoke(actor=user, token=token)
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:profile")


@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    codes = services.backup_codes_regenerate(actor=user)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("accounts:profile")})


@login_not_required
def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=429)


password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html", success_url=reverse_lazy("accounts:profile")
)
