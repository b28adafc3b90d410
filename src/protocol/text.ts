/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` is well-formed Unicode: it has no lone surrogate, so it survives UTF-8 and back unchanged. */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** True when `s` has no U+0000: PostgreSQL's text cannot hold it, and one contract holds for every store. */
export function hasNoNul(s: string): boolean {
  return !s.includes('\u0000');
}

/** Length in code points (what a user counts), not UTF-16 units. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}
