import { badInput } from './api-errors.ts';

/**
 * Text PostgreSQL can store and every client can decode: no NUL (refused by `text` columns) and
 * no lone UTF-16 surrogate (not encodable as UTF-8).
 */
// In `u` mode a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const UNPAIRED_SURROGATE = /\p{Cs}/u;

export const isCleanText = (value: string) =>
  !value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value);

export const badText = (field?: string) =>
  badInput('Text must not contain NUL characters or unpaired UTF-16 surrogates', field);
