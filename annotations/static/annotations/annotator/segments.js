// Painting segments: where claims begin and end inside a paragraph. Pure, unit-tested.

/** Claims in text order: by start, then end, then id. */
export function byTextOrder(a, b) {
  return a.start - b.start || a.end - b.end || a.id - b.id;
}

/** Innermost first: the shorter claim, then the one starting later. */
export function byInnermost(x, y) {
  return x.end - x.start - (y.end - y.start) || y.start - x.start || x.id - y.id;
}

/**
 * Split the range [from, to) at every claim boundary. Each segment is covered by a fixed set
 * of claims (innermost first), and lists the claims that begin or end exactly there, so that
 * overlapping and nested claims paint without breaking each other and each edge can be shown.
 */
export function segmentsOf(from, to, claims) {
  const bounds = new Set([from, to]);
  const live = [];
  for (const claim of claims) {
    const s = Math.max(claim.start, from);
    const e = Math.min(claim.end, to);
    if (s >= e) continue;
    live.push({ claim, s, e });
    bounds.add(s);
    bounds.add(e);
  }
  const points = Array.from(bounds).sort((a, b) => a - b);
  const segments = [];
  for (let k = 0; k < points.length - 1; k++) {
    const a = points[k];
    const b = points[k + 1];
    const here = live.filter((x) => x.s <= a && x.e >= b);
    const covering = here.map((x) => x.claim).sort(byInnermost);
    segments.push({
      start: a,
      end: b,
      claims: covering,
      // A claim "begins" in a segment only where the claim itself begins, not where a
      // paragraph break cut it.
      begins: here.filter((x) => x.claim.start === a).map((x) => x.claim.id),
      ends: here.filter((x) => x.claim.end === b).map((x) => x.claim.id),
    });
  }
  return segments;
}

/** The claims covering code point `cp`, innermost first. */
export function claimsAt(claims, cp) {
  return claims.filter((c) => !c.is_orphaned && c.start <= cp && cp < c.end).sort(byInnermost);
}
