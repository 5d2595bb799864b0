import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu_points.settings")

app = Celery("pinghu_points")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
