// Durations as the CRDs write them: 45s, 5m, 1h30m (and 0).

/** Milliseconds in text such as 1h30m; 0 for "0". */
export function parseDuration(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(s|m|h)/g))
    ms += Number(n) * { s: 1000, m: 60_000, h: 3_600_000 }[unit as 's' | 'm' | 'h'];
  return ms;
}
