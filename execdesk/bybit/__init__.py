"""Bybit code shared by market data (execdesk.market) and execution (execdesk.venues): the configuration,
pybit's signed HTTP session, the guarded WebSocket, payload parsing and the error classification. It sits
below both, so neither imports the other; it knows nothing of Django."""
