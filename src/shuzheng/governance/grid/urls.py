"""Grid URLs: map data (public reference data) and the operations centre's order map."""

from django.urls import path

from shuzheng.governance.grid import views

app_name = "grid"

urlpatterns = [
    path("grid/locate/", views.locate, name="locate"),
    path("grid/geojson/", views.geojson, name="geojson"),
    path("ops/grid/", views.order_map, name="map"),
]
