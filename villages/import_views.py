# Being written: the shareholder register import page (see villages/importing.py).
from django.http import Http404


def household_import(request):
    raise Http404
