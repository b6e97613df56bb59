/**
 * Every Redis key and pub/sub channel name of the channel streams, built in one place.
 * The channel name is the hash tag, so a channel's history, its metadata and its sharded pub/sub
 * channel live in one Cluster slot and one Lua script can touch all three.
 */
export class StreamKeys {
  /**
   * @param prefix - key prefix, e.g. `redpool:ws`
   * @param adapterPrefix - the Socket.IO redis-adapter's channel prefix (`key` / `channelPrefix`)
   * @param namespace - the Socket.IO namespace the clients use
   */
  constructor(
    readonly prefix: string,
    readonly adapterPrefix: string,
    readonly namespace = '/',
  ) {}

  /** The Redis stream holding a channel's recent messages. */
  history(channel: string): string {
    return `${this.prefix}:{${channel}}:history`;
  }

  /** The hash with the channel's epoch (`e`) and top offset (`o`). */
  meta(channel: string): string {
    return `${this.prefix}:{${channel}}:meta`;
  }

  /**
   * Where the ws-server instances announce their fan-out mode (`classic` / `sharded`), so that
   * publishers with `fanout: 'auto'` use the same one as the servers.
   */
  fanoutMode(): string {
    return `${this.prefix}:fanout`;
  }

  /** The Socket.IO room of a channel's subscribers (a hash tag, see the class comment). */
  room(channel: string): string {
    return `{${channel}}`;
  }

  /** The channel name back from a room made by {@link StreamKeys.room}, or undefined. */
  channelOfRoom(room: unknown): string | undefined {
    if (typeof room !== 'string' || room.length < 3 || room[0] !== '{' || room[room.length - 1] !== '}')
      return undefined;
    return room.slice(1, -1);
  }

  /**
   * The pub/sub channel the redis-adapter listens on for a broadcast to exactly one room:
   * `<adapterPrefix>#<nsp>#<room>#`, identical for the classic adapter (PSUBSCRIBE `prefix#nsp#*`)
   * and the sharded adapter in `dynamic` mode (SSUBSCRIBE per room).
   */
  adapterRoomChannel(channel: string): string {
    return `${this.adapterPrefix}#${this.namespace}#${this.room(channel)}#`;
  }
}
