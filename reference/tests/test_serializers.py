"""The common ModelSerializer base: fields built from the model once a class, a copy each."""

import pytest
from rest_framework import serializers

from reference.catalog.models import Category
from reference.catalog.serializers import CategorySerializer, ServiceItemSerializer
from reference.common.serializers import ModelSerializer


class FreshCategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "display_order"]


def test_the_model_is_read_for_the_first_instance_only(monkeypatch):
    built = []
    original = serializers.ModelSerializer.build_field
    monkeypatch.setattr(serializers.ModelSerializer, "build_field",
                        lambda self, *args: built.append(args[0]) or original(self, *args))

    first = FreshCategorySerializer().fields
    after_first = list(built)
    second = FreshCategorySerializer().fields

    assert after_first == ["id", "name", "display_order"]  # control: the first builds them
    assert built == after_first
    assert list(second) == list(first)


def test_each_instance_has_fields_of_its_own():
    one, other = CategorySerializer(), CategorySerializer()

    assert one.fields["name"] is not other.fields["name"]
    assert one.fields["name"].parent is one
    assert other.fields["name"].parent is other


@pytest.mark.django_db
def test_a_cached_serializer_renders_as_drf_builds_it(monkeypatch):
    category = Category.objects.create(name="Wash", display_order=1)
    cached = CategorySerializer(category).data
    monkeypatch.setattr(CategorySerializer, "get_fields",
                        serializers.ModelSerializer.get_fields)

    assert CategorySerializer(category).data == cached
    assert set(ServiceItemSerializer().fields) >= {"id", "name", "category", "image"}
