from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.log_view, name="log"),
    path("history/<str:label>/<str:pk>/", views.history_view, name="history"),
]
