from django.core.management.base import BaseCommand, CommandError

from reference.integrations.media import MediaUnavailable, bucket_ensure


class Command(BaseCommand):
    help = "Create the S3 media bucket if LC_S3_ENDPOINT_URL is set (no-op for local media)."

    def handle(self, *args: object, **options: object) -> None:
        try:
            created = bucket_ensure()
        except MediaUnavailable as exc:
            raise CommandError(f"{exc}. Is the S3 server at LC_S3_ENDPOINT_URL running?") from exc
        if created is None:
            self.stdout.write("media storage is local files: no bucket needed")
        else:
            self.stdout.write(f"media bucket {'created' if created else 'already exists'}")
