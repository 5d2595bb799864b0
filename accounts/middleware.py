from django.conf import settings

from .services import audit_context


class AuditContextMiddleware:
    """Remembers the request's address so every audited write can name it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(request=request):
            return self.get_response(request)


def client_address(request):
    # Only behind our own proxy is X-Forwarded-For trustworthy; otherwise a client could
    # write any address into the audit trail.
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None
