"""Shared pytest settings for the whole suite."""

# Lab folders used as test data hold their own grader tests (run by the grading engine
# with its `learner` fixture), not tests of this repository.
collect_ignore_glob = ["fixtures/*"]
