"""centric's version, in a module of its own: code inside centric reads it from here, never from the
`centric` package (whose lazy `Workspace` reaches every service), so no import cycle runs through it."""

__version__ = "0.1.0"
