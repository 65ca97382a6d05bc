from django.db import models


class MarketState(models.Model):
    """The simulated market and paper venue of one symbol, advanced under this row's lock."""

    symbol = models.CharField(max_length=32, primary_key=True)
    state = models.JSONField()
    snapshot = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"market {self.symbol}"


class MarketPrint(models.Model):
    """A public trade of a market (ours excluded), kept only over the windows of the orders working on it:
    the benchmark of TCA's market VWAP and TWAP (services/market_prints.py prunes the rest)."""

    venue = models.CharField(max_length=16)
    symbol = models.CharField(max_length=32)
    ts = models.DateTimeField()
    price = models.DecimalField(max_digits=28, decimal_places=10)
    qty = models.DecimalField(max_digits=28, decimal_places=10)
    side = models.CharField(max_length=4)  # the aggressor

    class Meta:
        indexes = [models.Index(fields=["venue", "symbol", "ts"], name="marketprint_window")]

    def __str__(self) -> str:
        return f"print {self.venue}:{self.symbol} {self.qty}@{self.price}"
