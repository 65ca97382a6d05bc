# The schedule clock of a parent order stops while the desk is halted or the order paused (issue 13).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0007_order_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="parentorder",
            name="clock_shift_seconds",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name="parentorder",
            name="clock_stopped_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
