"""Pipeline that turns the Lu'an anti-trafficking action plan sources into tidy datasets."""

__version__ = "0.1.0"
