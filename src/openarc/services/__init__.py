"""The rules of OpenArc: plain functions over the database, raising ``openarc.errors``."""
