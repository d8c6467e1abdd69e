"""Local emulators of the outside services the LaundryConnect backend calls (see README.md)."""
