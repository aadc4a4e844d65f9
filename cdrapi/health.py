"""Liveness and readiness for load balancers and orchestrators."""

from django.db import DatabaseError, connection
from django.http import JsonResponse

from cdrapi.version import VERSION


def healthz(request):
    """The process is up and serving (no dependency is checked), and which version it runs:
    during a rolling upgrade, which hosts have the new code."""
    return JsonResponse({"status": "ok", "version": VERSION})


def readyz(request):
    """The process can serve API traffic: the database answers."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
    except DatabaseError:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ok", "database": "ok"})
