from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0010_engine"),
    ]

    operations = [
        migrations.AddField(
            model_name="childorder",
            name="send_by",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="childorder",
            index=models.Index(fields=["status", "send_by"], name="child_outbox"),
        ),
    ]
