"""WSGI entry point (gunicorn config.wsgi)."""

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

application = get_wsgi_application()


def _warm_up_rights() -> None:
    # OpenFisca-France takes a few seconds to load: do it when the worker starts, not at the
    # first visitor's result (the engine waits for it if a request comes first).
    from maillage.rights.openfisca import warm_up

    warm_up()


if os.environ.get("MAILLAGE_RIGHTS_WARM_UP", "1") == "1":
    threading.Thread(target=_warm_up_rights, name="openfisca-warm-up", daemon=True).start()
