from django.db import models


class MarketState(models.Model):
    """The simulated market and paper venue of one symbol, advanced under this row's lock."""

    symbol = models.CharField(max_length=32, primary_key=True)
    state = models.JSONField()
    snapshot = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"market {self.symbol}"


class PaperTake(models.Model):
    """Liquidity one of our marketable paper orders took from the simulated market, recorded by its send
    without the market row's lock. The send priced it off the market's last saved state plus the takes
    recorded after it (in id order); whoever next loads the market under its lock (the tick, each second)
    replays the takes in the same order into the state it saves, and notes the last one folded."""

    symbol = models.CharField(max_length=32, db_index=True)
    side = models.CharField(max_length=4)
    qty = models.FloatField()  # the simulator's own unit: what its take() was given
    limit_price = models.FloatField(null=True, blank=True)
    impact = models.BooleanField(default=True)
    # One take per marketable order: a second send of the same order could not record its take (exactly-once
    # at the venue, as Bybit's orderLinkId is; the child's row lock and NEW status keep it from trying).
    order_link_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"paper take {self.side} {self.qty} {self.symbol} ({self.order_link_id})"


class MarketPrint(models.Model):
    """A public trade of a market (ours excluded), kept only over the windows of the orders working on it:
    the benchmark of TCA's market VWAP and TWAP (services/market_prints.py prunes the rest)."""

    venue = models.CharField(max_length=16)
    symbol = models.CharField(max_length=32)
    ts = models.DateTimeField()
    price = models.DecimalField(max_digits=28, decimal_places=10)
    qty = models.DecimalField(max_digits=28, decimal_places=10)
    side = models.CharField(max_length=4)  # the aggressor
    # The venue's id of the print (Bybit's publicTrade `i`); "" where the venue gives none (the simulator).
    # Unique per market: a print the feed delivers twice, or two workers' ticks store at once, is kept once.
    trade_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["venue", "symbol", "ts"], name="marketprint_window")]
        constraints = [models.UniqueConstraint(fields=["venue", "symbol", "trade_id"],
                                               condition=~models.Q(trade_id=""),
                                               name="marketprint_once")]

    def __str__(self) -> str:
        return f"print {self.venue}:{self.symbol} {self.qty}@{self.price}"
