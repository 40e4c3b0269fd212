"""OpenArc: a self-hostable, wire-compatible implementation of PayArc's Customers API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
