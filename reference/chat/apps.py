from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "reference.chat"
    label = "chat"
    verbose_name = "Chat"
