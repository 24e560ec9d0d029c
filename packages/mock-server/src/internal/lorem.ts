import type { Rng } from './rng.js';

/** The mock's vocabulary: plain ASCII words, so any text it makes is easy to assert on. */
export const LOREM_WORDS: readonly string[] = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris ' +
  'nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse'
).split(' ');

/** One seeded word of {@link LOREM_WORDS}. */
export function loremWord(random: Rng): string {
  return LOREM_WORDS[Math.floor(random() * LOREM_WORDS.length)] ?? 'lorem';
}
