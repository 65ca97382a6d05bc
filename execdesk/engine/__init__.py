"""The one step engine shared by the desk and the backtest (pure Python: no Django, no I/O of its own).

* ``clock``: the injected clock (the desk's wall clock, the backtest's simulated one);
* ``pacing``: what is due — the next step, orders that outlived their interval, orders per minute, the
  market's volume since our last order;
* ``decide``: strategy → advisor → risk gate, one step's proposal;
* ``loop``: the step loop over a venue gateway (``execdesk.venues.gateway.ExecutionClient``) with an
  in-memory order book, which the backtest drives; the desk runs the same rules through its services,
  which persist each proposal and keep the human in the loop.
"""
