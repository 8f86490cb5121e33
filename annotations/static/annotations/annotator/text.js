// Code points and plain text: pure functions, no DOM, unit-tested with `node --test`.
//
// Offsets sent to and received from the server count Unicode code points of the canonical
// body; JavaScript strings count UTF-16 units, so every conversion goes through these helpers.

export const QUOTE_CONTEXT = 32;

/** Number of code points in a JS string. */
export function cpLength(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-16 index of the code point number `cp` within `text`. */
export function utf16Index(text, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/** Shorten text to `max` code points, with an ellipsis when cut. */
export function clip(text, max) {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text;
}

/**
 * A claim span from two code-point offsets in the body's code points: trimmed of surrounding
 * white space, with the quote and its context. Null when nothing but white space is left.
 */
export function spanOf(cps, start, end) {
  let a = Math.max(0, Math.min(start, end));
  let b = Math.min(cps.length, Math.max(start, end));
  while (a < b && /\s/u.test(cps[a])) a++;
  while (b > a && /\s/u.test(cps[b - 1])) b--;
  if (a >= b) return null;
  return {
    start: a,
    end: b,
    quote: cps.slice(a, b).join(""),
    prefix: cps.slice(Math.max(0, a - QUOTE_CONTEXT), a).join(""),
    suffix: cps.slice(b, b + QUOTE_CONTEXT).join(""),
  };
}

/** The sentence around `rel` within a paragraph's code points, as [start, end). */
export function sentenceAround(cps, rel) {
  const at = Math.max(0, Math.min(rel, cps.length - 1));
  const isEnd = (i) => /[.!?…]/u.test(cps[i]) && (i + 1 >= cps.length || /\s/u.test(cps[i + 1]));
  let start = at;
  while (start > 0 && !isEnd(start - 1)) start--;
  while (start < at && /\s/u.test(cps[start])) start++;
  let end = at;
  while (end < cps.length && !isEnd(end)) end++;
  return [start, Math.min(cps.length, end + 1)];
}

/** Index of the paragraph (sorted by start) holding code point `cp`, or the one before a gap. */
export function paragraphIndex(paragraphs, cp) {
  let lo = 0;
  let hi = paragraphs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (paragraphs[mid].start <= cp) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
