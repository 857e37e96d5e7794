"""pointsbot: a chat bot for community volunteer credit-points programmes."""

__version__ = "0.1.0"
