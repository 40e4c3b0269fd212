"""The HTTP front door: PayArc's ``/v1`` API."""
