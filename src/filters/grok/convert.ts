/**
 * Type conversions of `%{NAME:field:int}` and `%{NAME:field:float}` captures. Logstash
 * converts with Ruby's String#to_i and String#to_f, which read the longest numeric prefix
 * (after optional leading whitespace) and give 0 when there is none: "12ab" → 12, "" → 0,
 * "1_000" → 1000, "0.5s" → 0.5. We do the same, so a capture that is not entirely a number
 * converts as it does in Logstash instead of becoming NaN. Integers beyond 2^53 lose
 * precision (JavaScript numbers), where Ruby would keep a bignum.
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** End index of a run of digits with single underscores between digits (Ruby numeric literal rules). */
function digitsEnd(s: string, i: number): number {
  const n = s.length;
  if (i >= n || !isDigit(s.charCodeAt(i))) return i;
  i++;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) i++;
    else if (c === 95 && i + 1 < n && isDigit(s.charCodeAt(i + 1))) i += 2;
    else break;
  }
  return i;
}

export function toInt(s: string): number {
  const n = s.length;
  // fast path: an optional '-' and up to 15 digits
  if (n > 0 && n <= 15) {
    let i = s.charCodeAt(0) === 45 ? 1 : 0;
    let v = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (i === n && n > (s.charCodeAt(0) === 45 ? 1 : 0)) return s.charCodeAt(0) === 45 ? (v === 0 ? 0 : -v) : v;
  }
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  } else if (s.charCodeAt(i) === 43) i++;
  const end = digitsEnd(s, i);
  if (end === i) return 0;
  const v = Number(s.slice(i, end).replaceAll('_', ''));
  return neg && v !== 0 ? -v : v;
}

export function toFloat(s: string): number {
  const n = s.length;
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  const start = i;
  if (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43) i++;
  const intEnd = digitsEnd(s, i);
  let end = intEnd;
  // fraction: '.' must be followed by a digit
  if (s.charCodeAt(end) === 46 && isDigit(s.charCodeAt(end + 1))) end = digitsEnd(s, end + 1);
  if (end === i) return 0; // no digits at all
  // exponent: e/E, optional sign, at least one digit
  const e = s.charCodeAt(end);
  if (e === 101 || e === 69) {
    let k = end + 1;
    if (s.charCodeAt(k) === 45 || s.charCodeAt(k) === 43) k++;
    const expEnd = digitsEnd(s, k);
    if (expEnd > k) end = expEnd;
  }
  const text = s.slice(start, end);
  const v = Number(text.includes('_') ? text.replaceAll('_', '') : text);
  return Object.is(v, -0) ? 0 : v;
}
