"""Courses: one nbgrader course per cohort, on this machine's disk.

- :mod:`hub.courses.folders`: the data root's folders, course roots and exchange folders
  with their modes; enrolment; releasing labs into a course.
- :mod:`hub.courses.release`: generate and release several labs in one nbgrader process.
- :mod:`hub.courses.local_exchange`: nbgrader's file-system exchange without
  world-writable folders (local mode; loaded by learners' and instructors' servers, so
  this package imports nothing at import time).
"""
