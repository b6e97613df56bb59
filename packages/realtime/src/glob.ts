/**
 * The one glob dialect of channel names, used by the channel rules (`chat.*=2000:10s`) and by the
 * ws-server's room claims (`rooms: ["team-*"]`): `*` matches any run of characters, possibly
 * empty; every other character matches itself. The whole name must match.
 * @example
 * globToRegExp('chat.*').test('chat.lobby'); // true
 * globToRegExp('chat.*').test('chatroom'); // false
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

/** Whether `name` matches `glob` (see {@link globToRegExp}); a glob without `*` is compared as is. */
export function matchesGlob(glob: string, name: string): boolean {
  if (!glob.includes('*')) return glob === name;
  return globToRegExp(glob).test(name);
}
