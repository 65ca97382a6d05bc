from django.db import models


class MarketState(models.Model):
    """The simulated market and paper venue of one symbol, advanced under this row's lock."""

    symbol = models.CharField(max_length=32, primary_key=True)
    state = models.JSONField()
    snapshot = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"market {self.symbol}"
