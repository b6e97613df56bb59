/** An argument of a Redis command. */
export type RedisArg = string | number | Buffer;

/** One command of a batch: `['SET', 'key', 'value']`. */
export type CommandTuple = readonly [command: string, ...args: RedisArg[]];

/** The outcome of one command of a batch: a reply, or the error Redis returned for it. */
export type BatchResult = [error: Error | null, reply: unknown];
