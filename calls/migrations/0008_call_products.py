"""Products: each call is a Voice or a SIP-trunking (Zentrunk) call (docs/plivo.md,
"Products"), with the Zentrunk object's trunk fields and the Insights quality fields.

Existing rows are Zentrunk calls (the product the seed and the old catalogue served). The
hangup-cause table is rebuilt keyed by (product, code) with both of Plivo's catalogues,
and the hourly counts gain the product (so each Plivo path's totals still come from them).
Adding columns with constant defaults is a catalogue change in PostgreSQL, not a rewrite.
"""

from django.db import migrations, models

from calls.store import hour_counts
from calls.vocabulary.hangup import CATALOGUE

SOURCES = ["customer", "carrier", "zentrunk", "Caller", "Callee", "Plivo", "Carrier",
           "API Request", "Answer XML", "Error", "Unknown"]  # fmt: skip


def load_catalogue(apps, schema_editor):
    cause = apps.get_model("calls", "HangupCause")
    cause.objects.bulk_create(cause(product=e.product, code=e.code, name=e.name) for e in CATALOGUE)


def counts_by_product(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in hour_counts.PRODUCT_SQL:
            schema_editor.execute(sql)


def _float():
    return models.FloatField(blank=True, null=True)


class Migration(migrations.Migration):
    dependencies = [("calls", "0007_call_integrity")]
    operations = [
        migrations.AddField(
            model_name="call",
            name="product",
            field=models.CharField(
                choices=[("voice", "voice"), ("zentrunk", "zentrunk")],
                db_default="zentrunk",
                default="zentrunk",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="call",
            name="trunk_domain",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="from_country",
            field=models.CharField(blank=True, max_length=2, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="to_country",
            field=models.CharField(blank=True, max_length=2, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="transport_protocol",
            field=models.CharField(
                blank=True,
                choices=[("udp", "udp"), ("tcp", "tcp"), ("tls", "tls")],
                max_length=3,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="call",
            name="srtp",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="call",
            name="secure_trunking",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="call",
            name="secure_trunking_rate",
            field=models.DecimalField(blank=True, decimal_places=5, max_digits=14, null=True),
        ),
        migrations.AddField(model_name="call", name="rtt", field=_float()),
        migrations.AddField(model_name="call", name="jitter", field=_float()),
        migrations.AddField(model_name="call", name="packet_loss", field=_float()),
        migrations.AddField(model_name="call", name="post_dial_delay", field=_float()),
        migrations.AddField(model_name="call", name="quality_score", field=_float()),
        migrations.AlterField(
            model_name="call",
            name="hangup_source",
            field=models.CharField(choices=[(s, s) for s in SOURCES], max_length=16),
        ),
        migrations.DeleteModel(name="HangupCause"),
        migrations.CreateModel(
            name="HangupCause",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "product",
                    models.CharField(
                        choices=[("voice", "voice"), ("zentrunk", "zentrunk")], max_length=8
                    ),
                ),
                ("code", models.IntegerField()),
                ("name", models.CharField(max_length=100)),
            ],
            options={"ordering": ["product", "code"]},
        ),
        migrations.AddConstraint(
            model_name="hangupcause",
            constraint=models.UniqueConstraint(
                fields=("product", "code"), name="hangup_cause_product_code"
            ),
        ),
        migrations.RunPython(load_catalogue, migrations.RunPython.noop),
        migrations.RunPython(counts_by_product),  # one way: the old functions are gone
    ]
