"""linkdesk: a link desk for newsroom web desks."""

__version__ = "0.1.0"
