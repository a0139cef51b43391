import { randomInt } from 'node:crypto';

// A short version of Docker's namesgenerator: adjective_scientist.
const adjectives = [
  'admiring',
  'brave',
  'clever',
  'dazzling',
  'eager',
  'focused',
  'gallant',
  'happy',
  'jolly',
  'keen',
  'lucid',
  'modest',
  'nifty',
  'optimistic',
  'peaceful',
  'quirky',
  'relaxed',
  'serene',
  'tender',
  'upbeat',
  'vibrant',
  'wizardly',
  'youthful',
  'zealous',
];
const scientists = [
  'albattani',
  'bardeen',
  'curie',
  'darwin',
  'einstein',
  'fermi',
  'goldberg',
  'hopper',
  'johnson',
  'knuth',
  'lovelace',
  'meitner',
  'noether',
  'pasteur',
  'ritchie',
  'shannon',
  'turing',
  'wozniak',
];

export const generateName = (): string =>
  `${adjectives[randomInt(adjectives.length)]}_${scientists[randomInt(scientists.length)]}`;
