from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("desk", "0009_audit_keyed")]

    operations = [
        migrations.AddField(
            model_name="parentorder",
            name="next_step_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
    ]
