import { describe, expect, test } from '@jest/globals';
import { ChannelRules, globToRegExp, InvalidOptionError, matchesGlob } from '../src/index.js';

describe('glob', () => {
  test('* matches any run of characters, the rest matches itself, the whole name must match', () => {
    expect(matchesGlob('chat.*', 'chat.lobby')).toBe(true);
    expect(matchesGlob('chat.*', 'chat.')).toBe(true);
    expect(matchesGlob('chat.*', 'chatroom')).toBe(false);
    expect(matchesGlob('chat.*', 'xchat.lobby')).toBe(false);
    expect(matchesGlob('team-*-eu', 'team-red-eu')).toBe(true);
    expect(matchesGlob('team-*-eu', 'team-red-us')).toBe(false);
    expect(matchesGlob('*', 'anything')).toBe(true);
  });

  test('regex characters in a glob are literal', () => {
    expect(matchesGlob('a.b', 'axb')).toBe(false);
    expect(globToRegExp('a+b=c').test('a+b=c')).toBe(true);
    expect(globToRegExp('a+b=c').test('aab=c')).toBe(false);
    expect(matchesGlob('room?', 'rooms')).toBe(false);
  });

  test('channel rule patterns follow the channel-name rule, with * as the only wildcard', () => {
    expect(ChannelRules.parse('chat:eu.*@x=1:1s', '1:1s').match('chat:eu.lobby@x').capacity).toBe(1);
    for (const bad of ['chat.{a}*', 'chat#*', 'chat.?', `${'a'.repeat(201)}*`]) {
      expect(() => ChannelRules.parse(`${bad}=1:1s`, '1:1s', 'REALTIME_CHANNELS')).toThrow(
        InvalidOptionError,
      );
    }
  });
});
