import type { ChatMembership } from './authorization.js';

/**
 * Chat membership answered by the application's backend over HTTP:
 * `GET <url>?user=<user id>&room=<room>` must answer `200` with `{"member": true}` or
 * `{"member": false}`. Anything else — another status, another body, no answer within
 * `timeoutMs` — is an error, which denies the request with `WS_ERR_INTERNAL` ("try again"), never
 * a silent refusal or admission.
 * @example
 * const membership = httpChatMembership('http://backend.internal/chat/membership', 2000);
 * await membership(user, 'lobby'); // true or false
 */
export function httpChatMembership(url: string, timeoutMs: number): ChatMembership {
  return async (user, room) => {
    const target = new URL(url);
    target.searchParams.set('user', user.id);
    target.searchParams.set('room', room);
    const response = await fetch(target, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    const body: unknown = await response.json().catch(() => undefined);
    const member = (body as { member?: unknown } | undefined)?.member;
    if (response.status !== 200 || typeof member !== 'boolean')
      throw new Error(`membership source answered ${response.status} without a boolean "member"`);
    return member;
  };
}
