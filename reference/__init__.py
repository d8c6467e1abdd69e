"""The LaundryConnect reference backend: a Django project serving shared/spec/mobile-api.md."""
