"""The hub's own pages and their language, as people see them before their lab opens.

- :mod:`hub.pages.hub_pages`: login, sign-up, authorize, error, track and start-up pages
  (``hub/templates``), every text in every language.
- :mod:`hub.pages.language`: the language switch each person's choice is remembered by,
  and the syllabics font.
- :mod:`hub.pages.track_form`: the track chooser a learner's server starts from.
"""
