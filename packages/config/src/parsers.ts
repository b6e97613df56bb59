/**
 * Turns the text of an environment variable into its value, or `undefined` when the text is
 * outside the allowed form or range. A parser may also throw; either way the value is refused.
 */
export type Parser<Value> = (raw: string) => Value | undefined;

/**
 * Digits only, from `min` to `max` inclusive: no sign, no fraction, no exponent, no hex, so
 * `1e3`, `0x10` and `-1` are refused instead of being read as something else.
 * @example
 * integer(0, 65_535)('8080'); // 8080
 * integer(0, 65_535)('70000'); // undefined
 */
export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  };
}

/**
 * The text itself when the whole of it matches `re` (anchor the expression with `^…$`).
 * @example
 * pattern(/^[a-z]{1,8}$/)('redpool'); // 'redpool'
 */
export function pattern(re: RegExp): Parser<string> {
  return (raw) => (re.test(raw) ? raw : undefined);
}

/**
 * One of `values`, matched exactly (case-sensitive), typed as their union.
 * @example
 * oneOf(['auto', 'classic', 'sharded'])('classic'); // 'classic', typed 'auto' | 'classic' | 'sharded'
 */
export function oneOf<const Values extends readonly string[]>(values: Values): Parser<Values[number]> {
  const isOneOfValues = (raw: string): raw is Values[number] => values.includes(raw);
  return (raw) => (isOneOfValues(raw) ? raw : undefined);
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/**
 * `true`/`false` as shells and manifests write them: `1 true yes on`, `0 false no off`, any case.
 * @example
 * boolean('Yes'); // true
 * boolean('maybe'); // undefined
 */
export const boolean: Parser<boolean> = (raw) => {
  const word = raw.toLowerCase();
  if (TRUE.includes(word)) return true;
  if (FALSE.includes(word)) return false;
  return undefined;
};

/**
 * The text itself when it is a `redis://` or `rediss://` URL. The URL is not rewritten, so
 * credentials and query options reach the client as given.
 * @example
 * redisUrl('rediss://user:pw@redis.internal:6380/2'); // the same text
 * redisUrl('http://redis.internal'); // undefined
 */
export const redisUrl: Parser<string> = (raw) => {
  try {
    const { protocol } = new URL(raw);
    return protocol === 'redis:' || protocol === 'rediss:' ? raw : undefined;
  } catch {
    return undefined;
  }
};
