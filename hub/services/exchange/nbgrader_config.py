"""nbgrader config that routes the exchange through the exchange service.

The track images copy this file to ``/etc/jupyter/nbgrader_config.py``; tests place it
in each learner's home. The service URL comes from ``NORTHLAB_EXCHANGE_URL``.
"""

c = get_config()  # noqa: F821 - provided by nbgrader's config loader

_PLUGIN = "hub.services.exchange.plugin."
c.ExchangeFactory.exchange = _PLUGIN + "Exchange"
c.ExchangeFactory.fetch_assignment = _PLUGIN + "ExchangeFetchAssignment"
c.ExchangeFactory.fetch_feedback = _PLUGIN + "ExchangeFetchFeedback"
c.ExchangeFactory.release_assignment = _PLUGIN + "ExchangeReleaseAssignment"
c.ExchangeFactory.release_feedback = _PLUGIN + "ExchangeReleaseFeedback"
c.ExchangeFactory.list = _PLUGIN + "ExchangeList"
c.ExchangeFactory.submit = _PLUGIN + "ExchangeSubmit"
c.ExchangeFactory.collect = _PLUGIN + "ExchangeCollect"
