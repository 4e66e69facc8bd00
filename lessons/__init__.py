"""Lesson files shipped with tuidl (installed as the package `tuidl.lesson_files`)."""
