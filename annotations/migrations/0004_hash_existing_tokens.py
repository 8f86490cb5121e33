"""Existing DRF tokens become hashed tokens: the same keys keep working, and the plain
keys are deleted from the old table. Not reversible: a digest cannot give the key back."""

import hashlib
from datetime import UTC

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return  # a new installation: DRF's token table never existed
    ApiToken = apps.get_model("annotations", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    tokens = []
    for key, user_id, created in rows:
        if isinstance(created, str):
            created = parse_datetime(created)
        if created is not None and timezone.is_naive(created):
            created = timezone.make_aware(created, UTC)
        tokens.append(
            ApiToken(
                user_id=user_id,
                prefix=key[:8],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                created_at=created or timezone.now(),
            )
        )
    ApiToken.objects.bulk_create(tokens)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0003_api_tokens")]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
