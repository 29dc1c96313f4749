from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.campaign_list_view, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/make-current/", views.campaign_make_current, name="campaign_make_current"),
]
