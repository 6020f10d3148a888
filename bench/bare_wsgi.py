"""The service's WSGI app plus one bare view, for the intake benchmark only (never deployed).

    gunicorn bench.bare_wsgi -c gunicorn.conf.py

`/bench/bare/` runs through the same settings, middleware and gunicorn config as
`/webhooks/sautikit/` but does nothing, so the ratio between the two measures
what the webhook's own work costs.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sautidesk.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()  # sets Django up before the urlconf below is imported

from django.conf import settings  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


@csrf_exempt
def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare), path("", include("sautidesk.urls"))]
# Read by Django at every request, so setting it after set-up is enough.
settings.ROOT_URLCONF = __name__
