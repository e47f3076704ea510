"""The in-process event hub behind the websockets."""

import asyncio

from bot.events import EventHub, Outbox


async def test_subscribers_get_events_of_their_topics_only_and_unsubscribe_on_exit() -> None:
    hub = EventHub()
    with hub.subscribe("a") as first, hub.subscribe("b") as second:
        hub.publish("a", {"n": 1})
        first.add("c")
        hub.publish("c", {"n": 2})
        assert await asyncio.wait_for(first.next(), 1) == {"n": 1}
        assert await asyncio.wait_for(first.next(), 1) == {"n": 2}
        assert second.queue.empty()
        assert hub.subscriber_count("a") == 1
    assert hub.subscriber_count("a") == 0 and hub.subscriber_count("c") == 0


async def test_outbox_publishes_in_order_only_when_asked() -> None:
    hub = EventHub()
    outbox = Outbox()
    with hub.subscribe("t") as sub:
        outbox.add("t", {"n": 1})
        outbox.add("t", {"n": 2})
        assert sub.queue.empty()
        outbox.publish(hub)
        assert [await sub.next(), await sub.next()] == [{"n": 1}, {"n": 2}]


async def test_a_stalled_subscriber_drops_events_instead_of_blocking_publishers() -> None:
    hub = EventHub()
    with hub.subscribe("t") as sub:
        for n in range(sub.queue.maxsize + 10):
            hub.publish("t", {"n": n})
        assert sub.queue.qsize() == sub.queue.maxsize


async def test_an_opened_subscription_receives_until_it_is_closed() -> None:
    hub = EventHub()
    subscription = hub.open("call")
    hub.publish("call", {"n": 1})
    assert await asyncio.wait_for(subscription.next(), 1) == {"n": 1}
    subscription.close()
    hub.publish("call", {"n": 2})
    assert hub.subscriber_count("call") == 0 and subscription.queue.empty()


async def test_the_in_process_hub_is_always_connected_and_settled() -> None:
    hub = EventHub()
    await hub.start()
    with hub.subscribe("t") as sub:
        await hub.settled()
        sub.deliver({"n": 1})
        hub.publish("t", {"n": 2})
        assert [await sub.next(), await sub.next()] == [{"n": 1}, {"n": 2}]
        assert hub.local_topics() == {"t"}
    assert hub.describe() == {"backend": "memory", "state": "connected"}
    await hub.stop()
