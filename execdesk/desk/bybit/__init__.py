"""The desk's link to Bybit: the configured venue and market feed, and the private/public streams."""
