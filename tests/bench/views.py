"""The trivial view both benchmark servers answer: no database, no templates."""

from django.http import HttpResponse


def ping(request):
    return HttpResponse("pong")
