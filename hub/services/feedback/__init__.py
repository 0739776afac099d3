"""Instant feedback: a hub-managed service grading each submission of a lab as it arrives.

A lab opts in with ``[feedback] on_submit = true`` (docs/labs.md). The service
(:mod:`hub.services.feedback.app`) watches the exchange for new submissions
(:mod:`hub.services.feedback.grading`), queues each one as a file in its spool
(:mod:`hub.services.feedback.spool`, so a restart loses nothing), grades it with the same
engine, sandbox and limits as ``northlab grade``, keeping each lab's sandbox zygotes warm
between submissions, and writes the record to the grade outbox like every other grading
path. Learners read their queue position, score and feedback at ``api/feedback``
(the Assignments tab and the Foundations pages show it). Attempts are counted by the
service from the exchange; no request can reset them.
"""
