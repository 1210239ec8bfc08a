"""Stream serving: the model embedded in a consumer-group worker, over Kafka or Redis Streams
(DESIGN.md section 6).

``stream(target, source=..., sink=..., group=...)`` scores events until SIGTERM, at least once:
a batch is acknowledged only after its results are delivered. Invalid events go to a
dead-letter topic or stream with their error. The deployment's routes are honoured as online
servers honour them (weights sticky by message key, shadows) and followed as they change,
swapped between batches.
"""

from shipyard.serving.stream.api import record_stream, stream
from shipyard.serving.stream.endpoints import Endpoint, parse_endpoint
from shipyard.serving.stream.options import StreamOptions
from shipyard.serving.stream.worker import StreamSummary, StreamWorker

__all__ = [
    "Endpoint",
    "StreamOptions",
    "StreamSummary",
    "StreamWorker",
    "parse_endpoint",
    "record_stream",
    "stream",
]
