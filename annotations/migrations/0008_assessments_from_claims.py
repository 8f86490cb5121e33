"""Each claim's verdict and rationale so far become its creator's own assessment.

Until now a claim carried one verdict, written by whoever edited it last; the desk
verdict stays as it was, so exports and sign-offs do not move.
"""

from django.db import migrations

BATCH = 2000


def claims_to_assessments(apps, schema_editor):
    Claim = apps.get_model("annotations", "Claim")
    Assessment = apps.get_model("annotations", "Assessment")
    rows = Claim.objects.order_by("pk").values_list(
        "pk", "created_by_id", "verdict", "rationale", "created_at", "updated_at"
    )
    batch = []
    for pk, author, verdict, rationale, created_at, updated_at in rows.iterator(BATCH):
        batch.append(
            Assessment(
                claim_id=pk,
                analyst_id=author,
                verdict=verdict,
                rationale=rationale,
                created_at=created_at,
                updated_at=updated_at,
            )
        )
        if len(batch) == BATCH:
            Assessment.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Assessment.objects.bulk_create(batch, ignore_conflicts=True)


def assessments_to_claims(apps, schema_editor):
    """Going back keeps the desk verdict, which never left the claim; the assessments go."""
    apps.get_model("annotations", "Assessment").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("annotations", "0007_review_desk")]

    operations = [migrations.RunPython(claims_to_assessments, assessments_to_claims)]
