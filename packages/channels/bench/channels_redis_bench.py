"""channels_redis side of `pnpm --filter @redpool/channels bench`.

Runs the same three workloads as bench/channels.bench.ts against the same Redis, with the same
message, and prints one JSON object (ops per second) on its last line. Driven by the Node
benchmark as a child process of /usr/bin/python3 (Debian package python3-channels-redis).

Usage: python3 channels_redis_bench.py --url redis://127.0.0.1:PORT --messages N --group-sends M
"""

import argparse
import asyncio
import json
import time

from channels_redis.core import RedisChannelLayer

MESSAGE = {
    "type": "chat.message",
    "room": "room-42",
    "user": "user-1234",
    "text": "The quick brown fox jumps over the lazy dog, twice!",
    "ts": 1700000000123,
}


async def run_concurrently(count, total, work):
    """Runs `total` calls of `work(i)` spread over `count` concurrent tasks; returns elapsed s."""
    per_task = total // count

    async def task(t):
        for i in range(per_task):
            await work(t * per_task + i)

    started = time.perf_counter()
    await asyncio.gather(*(task(t) for t in range(count)))
    return time.perf_counter() - started, per_task * count


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--group-sends", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--group-size", type=int, default=100)
    args = parser.parse_args()
    n = args.messages
    c = args.concurrency
    results = {}

    layer = RedisChannelLayer(hosts=[args.url], prefix="crbench", capacity=n + 1000, expiry=600)
    await layer.flush()

    # Warm-up (connections), not measured; the Node side does the same.
    async def warm_send(i):
        await layer.send(f"bench-warm-{i % c}", MESSAGE)

    async def warm_receive(i):
        await layer.receive(f"bench-warm-{i % c}")

    await run_concurrently(c, 2000, warm_send)
    await run_concurrently(c, 2000, warm_receive)

    # 1. send: `c` concurrent senders, one general channel each.
    async def send(i):
        await layer.send(f"bench-send-{i % c}", MESSAGE)

    elapsed, done = await run_concurrently(c, n, send)
    results["send_per_s"] = done / elapsed
    await layer.flush()

    # 2. receive: a general channel holding n messages, drained by `c` concurrent receivers.
    sends = [layer.send("bench-recv", MESSAGE) for _ in range(n)]
    for i in range(0, n, 500):
        await asyncio.gather(*sends[i : i + 500])

    async def receive(i):
        await layer.receive("bench-recv")

    elapsed, done = await run_concurrently(c, n, receive)
    results["receive_per_s"] = done / elapsed

    # 2b. the same drained by one sequential receiver (reported, not in the ratios).
    m = max(1000, n // 10)
    sends = [layer.send("bench-recv-seq", MESSAGE) for _ in range(m)]
    for i in range(0, m, 500):
        await asyncio.gather(*sends[i : i + 500])

    async def receive_seq(i):
        await layer.receive("bench-recv-seq")

    elapsed, done = await run_concurrently(1, m, receive_seq)
    results["receive_sequential_per_s"] = done / elapsed
    await layer.flush()

    # 3. group_send to a group of `group_size` process-specific channels of one receiving layer.
    g = args.group_sends
    receiver = RedisChannelLayer(hosts=[args.url], prefix="crbench", capacity=g + 1000, expiry=600)
    sender = RedisChannelLayer(hosts=[args.url], prefix="crbench", capacity=g + 1000, expiry=600)
    for _ in range(args.group_size):
        await sender.group_add("bench-group", await receiver.new_channel())
    await run_concurrently(c, 200, lambda i: sender.group_send("bench-group", MESSAGE))

    async def group_send(i):
        await sender.group_send("bench-group", MESSAGE)

    elapsed, done = await run_concurrently(c, g, group_send)
    results["group_send_per_s"] = done / elapsed
    await sender.flush()

    # 3b. the same group spread over 10 receiving processes (layers), 10 channels each.
    receivers = [RedisChannelLayer(hosts=[args.url], prefix="crbench", capacity=g + 1000, expiry=600) for _ in range(10)]
    for i in range(args.group_size):
        await sender.group_add("bench-spread", await receivers[i % 10].new_channel())
    await run_concurrently(c, 200, lambda i: sender.group_send("bench-spread", MESSAGE))

    async def group_send_spread(i):
        await sender.group_send("bench-spread", MESSAGE)

    elapsed, done = await run_concurrently(c, g, group_send_spread)
    results["group_send_spread_per_s"] = done / elapsed
    await sender.flush()
    for r in receivers:
        await r.close_pools()
    await layer.close_pools()
    await receiver.close_pools()
    await sender.close_pools()
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
