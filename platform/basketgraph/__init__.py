"""basketgraph: learn which products go together and serve it from a Neo4j graph."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("basketgraph")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
