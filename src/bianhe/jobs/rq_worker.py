"""The RQ worker class `bianhe worker` uses with the Redis backend."""

from __future__ import annotations

from rq.worker import Worker


class Worker(Worker):
    """RQ's worker, whose command channel is read every second rather than every minute:
    RQ's own waits up to 60 s for that read to end before it can stop (as after --batch)."""

    def subscribe(self):
        self.log.info("Worker %s: subscribing to channel %s", self.name,
                      self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler)
