/**
 * The baseline of `ws.bench.ts`: what a user would otherwise write — plain Socket.IO 4.8 with
 * @socket.io/redis-adapter (its default `createAdapter`, on ioredis as its docs recommend) and
 * `io.to(room).emit`, nothing else. One process; `PORT` (0: a free one) and `REDIS_URL`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const sub = pub.duplicate();
for (const client of [pub, sub]) client.on('error', (err) => console.error(`redis: ${err.message}`));
const http = createServer();
const io = new Server(http, { adapter: createAdapter(pub, sub) });

io.on('connection', (socket) => {
  socket.on('join', (room: string, ack?: () => void) => {
    void socket.join(room);
    ack?.();
  });
  socket.on('publish', (message: { room: string; data: unknown }) => {
    io.to(message.room).emit('message', message.data);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  console.log(`baseline listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => {
  void io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
