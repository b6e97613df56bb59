// Deterministic, realistic chat payloads for the codec benchmark: message objects with user
// ids, room, text made of common chat words, timestamps and reaction arrays.

/** mulberry32: small seeded PRNG so every run benchmarks the same bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a to and i you it is that for on in of we this be with have are not can just so do at was ' +
  "my will me but what if get it's know like ok okay yes no lol thanks thank please sure now today " +
  'tomorrow meeting call deploy build release branch merge review pr ticket bug fix test tests prod ' +
  'staging server redis cache channel room message send sent see look looks good great nice cool ' +
  'done working work on it later soon minutes hour lunch coffee back here there who when where why ' +
  'how about think maybe probably need want let us going to try again still broken green red yeah ' +
  'sounds plan update status standup sprint board link doc docs slides question answer agree'
).split(' ');
const EMOJI = ['👍', '🎉', '😂', '❤️', '👀', '🚀', '✅'];
const ROOMS = ['general', 'random', 'dev-backend', 'incidents', 'team-frontend', 'support'];

/** One chat message. */
export interface ChatMessage {
  id: string;
  room: string;
  user: { id: string; name: string };
  text: string;
  ts: number;
  edited: boolean;
  reactions: Array<{ emoji: string; users: string[] }>;
}

function userId(rand: () => number): string {
  return `u_${Math.floor(rand() * 900_000) + 100_000}`;
}

function message(rand: () => number, index: number, room: string, words: number): ChatMessage {
  const text: string[] = [];
  for (let w = 0; w < words; w++) text.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  const reactions: ChatMessage['reactions'] = [];
  const reactionCount = rand() < 0.6 ? 0 : Math.floor(rand() * 3) + 1;
  for (let r = 0; r < reactionCount; r++) {
    const users = Array.from({ length: Math.floor(rand() * 4) + 1 }, () => userId(rand));
    reactions.push({ emoji: EMOJI[Math.floor(rand() * EMOJI.length)]!, users });
  }
  const uid = userId(rand);
  return {
    id: `m_${(1_000_000 + index).toString(36)}${Math.floor(rand() * 1e6).toString(36)}`,
    room,
    user: { id: uid, name: `user${uid.slice(-3)}` },
    text: text.join(' '),
    ts: 1_700_000_000_000 + index * 4_211 + Math.floor(rand() * 1000),
    edited: rand() < 0.1,
    reactions,
  };
}

/**
 * A chat value whose JSON is at least `bytes` long (and close to it): a single short message
 * `{id, room, uid, text, ts}` for ~100 B, otherwise a history page (array of messages).
 */
export function chatValue(bytes: number, seed: number): unknown {
  const rand = prng(seed);
  const room = `room:${ROOMS[seed % ROOMS.length]}`;
  if (bytes <= 200) {
    const small = {
      id: `m_${seed.toString(36)}`,
      room,
      uid: userId(rand),
      text: '',
      ts: 1_700_000_000_000 + seed,
    };
    while (JSON.stringify(small).length < bytes) {
      small.text += (small.text ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)]!;
    }
    return small;
  }
  const page: ChatMessage[] = [];
  let length = 2;
  for (let i = 0; length < bytes; i++) {
    const next = message(rand, seed * 1000 + i, room, 4 + Math.floor(rand() * 18));
    page.push(next);
    length += JSON.stringify(next).length + (i === 0 ? 0 : 1);
  }
  return page;
}
