"""Input parsing and output shapes of the chat API and its socket frames."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reference.chat.models import CLIENT_ID_MAX_LENGTH, MESSAGE_MAX_LENGTH, Message, Room
from reference.common.serializers import ModelSerializer, StrictSerializer
from reference.integrations.media import media_url


class RoomOpenSerializer(StrictSerializer):
    order_id = serializers.UUIDField(help_text="One of your orders (staff: any order).")


class ChatMessageCreateSerializer(StrictSerializer):
    """A message as the app sends it, over REST or as a socket `chat_message` frame."""

    message = serializers.CharField(min_length=1, max_length=MESSAGE_MAX_LENGTH)
    image_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your uploads (`/api/chat/upload/`)."
    )
    client_id = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=CLIENT_ID_MAX_LENGTH,
        help_text="Your id for this message: sending it again returns the stored message.",
    )

    def validate_client_id(self, value: str | None) -> str | None:
        return value or None


class ChatMessageFilterSerializer(StrictSerializer):
    after_seq = serializers.IntegerField(min_value=0, required=False)


class RoomReadSerializer(StrictSerializer):
    up_to_seq = serializers.IntegerField(
        min_value=0, help_text="The seq of the newest message you have seen."
    )


class RoomUnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField(min_value=0)


class ChatPersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")


class ChatSenderSerializer(ChatPersonSerializer):
    role = serializers.CharField()


class ChatLastMessageSerializer(ModelSerializer):
    sender_id = serializers.UUIDField()

    class Meta:
        model = Message
        fields = ["id", "seq", "message", "sender_id", "created_at"]
        read_only_fields = fields


class ChatMessageSerializer(ModelSerializer):
    """A chat message; `seq` is its place in the room (1, 2, 3...), assigned by the server."""

    # Without a request in the context (a socket frame), a local image's URL is the path
    # alone; the socket makes it absolute with the host it was opened on.

    room_id = serializers.UUIDField()
    sender = ChatSenderSerializer()
    image = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "room_id", "seq", "client_id", "sender", "message", "image", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, message: Message) -> str | None:
        if message.image is None:
            return None
        url = media_url(name=message.image.image_name)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class RoomSerializer(ModelSerializer):
    """The chat of one order, as the caller sees it."""

    # `unread_count` and `last_message` are set on the rooms by `selectors.rooms_decorate`.

    order_id = serializers.UUIDField()
    customer = ChatPersonSerializer()
    partner = ChatPersonSerializer(allow_null=True, help_text="The support agent.")
    last_message = ChatLastMessageSerializer(allow_null=True)
    unread_count = serializers.IntegerField(min_value=0)

    class Meta:
        model = Room
        fields = [
            "id", "order_id", "customer", "partner", "last_message", "unread_count", "created_at",
        ]
        read_only_fields = fields
