"""A process's subscribers by topic: what every hub hands the events it receives to."""

from __future__ import annotations

import asyncio

from flowbot.coordination.pubsub.base import Event, HubClosedError, Subscription

__all__ = ["Fanout", "RemoteHubBase"]


class Fanout:
    def __init__(self, queue_size: int) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._topics: dict[str, set[Subscription]] = {}
        self.streams = 0

    def add(self, topic: str) -> tuple[Subscription, bool]:
        """A new subscription, and whether it is the topic's first here."""
        subscription = Subscription(topic, self.queue_size)
        subscriptions = self._topics.get(topic)
        first = subscriptions is None
        if subscriptions is None:
            subscriptions = self._topics[topic] = set()
        subscriptions.add(subscription)
        self.streams += 1
        return subscription, first

    def remove(self, subscription: Subscription) -> bool:
        """Drop a subscription; whether it was the topic's last here."""
        subscriptions = self._topics.get(subscription.topic)
        if subscriptions is None or subscription not in subscriptions:
            return False
        subscriptions.discard(subscription)
        self.streams -= 1
        if subscriptions:
            return False
        del self._topics[subscription.topic]
        return True

    def deliver(self, topic: str, event: Event) -> int:
        subscriptions = self._topics.get(topic, ())
        for subscription in subscriptions:
            subscription.put(event)
        return len(subscriptions)

    def gap(self) -> None:
        """The backend connection was lost: every feed may miss events."""
        for subscriptions in self._topics.values():
            for subscription in subscriptions:
                subscription.gaps += 1

    def subscribers(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def topics(self) -> list[str]:
        return list(self._topics)

    def close(self) -> None:
        for subscriptions in self._topics.values():
            for subscription in subscriptions:
                subscription.end()
        self._topics.clear()
        self.streams = 0


class RemoteHubBase:
    """What the Redis and PostgreSQL hubs share: the local fan-out and the
    subscriptions waiting for the backend's confirmation, by channel."""

    _fanout: Fanout
    _waiting: dict[str, list[asyncio.Future[None]]]

    def subscribers(self, topic: str) -> int:
        return self._fanout.subscribers(topic)

    @property
    def streams(self) -> int:
        return self._fanout.streams

    def topics(self) -> list[str]:
        """Topics this process subscribes to."""
        return self._fanout.topics()

    def _wait_for(self, channel: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(channel, []).append(future)
        return future

    def _close_fanout(self) -> None:
        """End every waiting and every open subscription: the hub is closed."""
        for futures in self._waiting.values():
            for future in futures:
                if not future.done():
                    future.set_exception(HubClosedError("the hub was closed"))
        self._waiting.clear()
        self._fanout.close()
