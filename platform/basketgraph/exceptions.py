"""Every error that basketgraph raises on purpose.

The hierarchy keeps problems of the store apart from problems of the input, so that
callers (the command line, and later the workers and the API) can decide what to retry::

    BasketgraphError
    +-- ConfigurationError      settings that cannot work; raised at startup
    +-- NotFittedError          a recommender scored before it was fitted
    +-- JobCancelledError       a job stopped because its cancellation was asked for
    +-- InputError              the data given to us is wrong; never retried
    |   +-- UnknownFormatError  no reader for the --format given
    |   +-- SourceError         a file is missing, unreadable or lacks columns
    |   +-- StrictModeError     --strict found bad rows; nothing was written
    |   `-- MiningLimitError    mining would pass a limit on rules, itemsets or time
    `-- ServiceError            a service we run or talk to misbehaves
        +-- ServerStartError    Neo4j or Redis did not come up
        +-- StoreUnavailableError
        |                       Neo4j cannot be reached now; retryable
        `-- BrokerUnavailableError
                                Redis (Celery's broker) cannot be reached; retryable

Errors from the Neo4j driver itself (``neo4j.exceptions.Neo4jError`` and
``DriverError``) are not wrapped where they pass through unchanged: the driver already
tells retryable ones apart (``is_retryable()``).
"""

from __future__ import annotations


class BasketgraphError(Exception):
    """Base class of every error basketgraph raises on purpose."""

    #: Whether trying the same thing again later may succeed.
    retryable: bool = False


class ConfigurationError(BasketgraphError):
    """Settings that cannot work, found when the program starts."""


class NotFittedError(BasketgraphError):
    """A recommender was asked to score or explain before :meth:`fit`."""


class JobCancelledError(BasketgraphError):
    """A job stopped at a progress report because its cancellation was asked for."""


class InputError(BasketgraphError):
    """The data handed to basketgraph is wrong; retrying cannot help."""


class UnknownFormatError(InputError):
    """No reader exists for the requested input format."""


class SourceError(InputError):
    """An input file is missing, unreadable, or lacks the columns its format needs."""


class StrictModeError(InputError):
    """A strict load found bad rows, so it wrote nothing."""

    def __init__(self, message: str, rejects: list[tuple[int, str]]) -> None:
        """Create the error.

        Args:
            message (str): The whole sentence shown to the user.
            rejects (list[tuple[int, str]]): The first bad rows, as
                ``(line_number, reason)``.
        """
        super().__init__(message)
        self.rejects = rejects

    def __reduce__(
        self,
    ) -> tuple[type[StrictModeError], tuple[str, list[tuple[int, str]]]]:
        """Pickle with both arguments, so the error crosses process boundaries."""
        return (type(self), (str(self), self.rejects))


class MiningLimitError(InputError):
    """Mining would exceed a limit on itemsets, rules or time.

    It is an input error: the same data and parameters hit the same limit again, so
    the cure is other parameters (a higher support, a shorter length, a higher
    limit), never a retry.
    """

    def __init__(self, message: str, limit: str, value: float) -> None:
        """Create the error.

        Args:
            message (str): The whole sentence shown to the user.
            limit (str): The parameter whose limit was hit (``"max_rules"``,
                ``"max_itemsets"`` or ``"time_limit"``).
            value (float): The limit's value.
        """
        super().__init__(message)
        self.limit = limit
        self.value = value

    def __reduce__(self) -> tuple[type[MiningLimitError], tuple[str, str, float]]:
        """Pickle with every argument, so the error crosses process boundaries."""
        return (type(self), (str(self), self.limit, self.value))


class ServiceError(BasketgraphError):
    """A service that basketgraph runs or talks to misbehaves."""


class ServerStartError(ServiceError):
    """A server (Neo4j, Redis) could not be started."""


class StoreUnavailableError(ServiceError):
    """Neo4j cannot be reached right now."""

    retryable = True


class BrokerUnavailableError(ServiceError):
    """Redis, the workers' broker, cannot be reached right now."""

    retryable = True
