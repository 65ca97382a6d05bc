from django.db import models


def qty_field(**kw):
    return models.DecimalField(max_digits=28, decimal_places=10, **kw)


def price_field(**kw):
    return models.DecimalField(max_digits=28, decimal_places=10, **kw)
