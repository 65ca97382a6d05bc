"""Live pushes to the dashboard: the websocket consumer and its routes, the one sender, typed payloads."""
