"""Prices of the instance types ATMO launches by default and of a few common alternatives.

On-demand and EMR prices of Linux instances in us-west-2 from the AWS price list;
spot prices are typical recent values. Operators correct them in the admin
(Costs › Instance prices); rows already there are left alone.
"""

from decimal import Decimal

from django.db import migrations

#: instance type: (on demand, typical spot, EMR), USD per instance hour.
DEFAULT_PRICES = {
    "c3.4xlarge": ("0.840", "0.270", "0.210"),
    "c5.4xlarge": ("0.680", "0.270", "0.170"),
    "m5.xlarge": ("0.192", "0.070", "0.048"),
    "m5.2xlarge": ("0.384", "0.140", "0.096"),
    "r5.2xlarge": ("0.504", "0.170", "0.126"),
}
SOURCE = "ATMO defaults (us-west-2)"


def seed(apps, schema_editor):
    price_model = apps.get_model("costs", "InstancePrice")
    for instance_type, (on_demand, spot, emr) in DEFAULT_PRICES.items():
        price_model.objects.get_or_create(
            instance_type=instance_type,
            defaults={
                "on_demand_hourly": Decimal(on_demand),
                "spot_hourly": Decimal(spot),
                "emr_hourly": Decimal(emr),
                "source": SOURCE,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("costs", "InstancePrice").objects.filter(
        instance_type__in=DEFAULT_PRICES, source=SOURCE
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_instance_prices")]

    operations = [migrations.RunPython(seed, unseed)]
