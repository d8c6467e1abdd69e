from django.urls import path

from reference.catalog import apis

app_name = "catalog"

urlpatterns = [
    path("categories/", apis.CategoryListApi.as_view(), name="categories"),
    path("items/", apis.ServiceItemListApi.as_view(), name="items"),
    path("items/<uuid:item_id>/", apis.ServiceItemDetailApi.as_view(), name="item-detail"),
]
