"""The page at `/`: what this server is, where its API reference, schema, documentation
and health checks are; and the documentation itself (README.md and docs/*.md of the
checkout, as plain text), so that the page's links work on any host.

Plain HTML from templates/home.html, no external asset (no CDN, no script): it is served
to anyone, in production too, and says nothing that the source does not.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cdrapi.env import CHECKOUT
from cdrapi.version import VERSION

# Every document served, by the name in its URL: a fixed list, so no path is ever built
# from the request.
DOCUMENTS = {
    path.name: path for path in [CHECKOUT / "README.md", *sorted(CHECKOUT.glob("docs/*.md"))]
}


@require_safe
def home(request):
    return render(request, "home.html", {"version": VERSION, "documents": sorted(DOCUMENTS)})


@require_safe
def document(request, name: str):
    """One document as UTF-8 text (Markdown, readable as it is)."""
    path = DOCUMENTS.get(name)
    if path is None or not path.is_file():
        raise Http404("No such document.")
    return HttpResponse(path.read_bytes(), content_type="text/plain; charset=utf-8")
