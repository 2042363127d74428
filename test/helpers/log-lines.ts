/**
 * Strict checks of sluice's JSON log lines. `JSON.parse` silently keeps the last of two equal
 * keys, so a line like `{"component":"dead-letter","component":"kafkajs"}` would pass any
 * check built on it; log shippers reject or collapse such lines. `duplicateKeys` scans the
 * raw text instead.
 */

/** The keys that occur more than once in one object of a JSON text (as `path.key`), or throws on invalid JSON. */
export function duplicateKeys(text: string): string[] {
  let i = 0;
  const found: string[] = [];
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at ${i}: ${what}`);
  };
  const string = (): string => {
    const start = i;
    if (text[i] !== '"') fail('expected a string');
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = string();
        if (seen.has(key)) found.push(path ? `${path}.${key}` : key);
        seen.add(key);
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        value(path ? `${path}.${key}` : key);
        ws();
        const next = text[i++];
        if (next === '}') return;
        if (next !== ',') fail('expected "," or "}"');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        const next = text[i++];
        if (next === ']') return;
        if (next !== ',') fail('expected "," or "]"');
      }
    } else if (c === '"') {
      string();
    } else {
      const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) fail('unexpected character');
      i += m![0].length;
    }
  };
  value('');
  ws();
  if (i !== text.length) fail('trailing text');
  return found;
}

export interface LogCheck {
  /** Every JSON log line, parsed. */
  lines: Record<string, any>[];
  /** Lines at warn (40) or above, as their raw text. */
  warnOrAbove: string[];
  /** Lines with a duplicated key, with the keys. */
  duplicated: { line: string; keys: string[] }[];
  /** Output lines that are not JSON objects (none expected from `sluice run` with a pipe). */
  notJson: string[];
}

/** Parses every line of a sluice process's output strictly. */
export function checkLogLines(output: string): LogCheck {
  const check: LogCheck = { lines: [], warnOrAbove: [], duplicated: [], notJson: [] };
  const all = output.split('\n').filter((l) => l.trim() !== '');
  for (const line of all) {
    let keys: string[];
    try {
      keys = duplicateKeys(line);
    } catch {
      check.notJson.push(line);
      continue;
    }
    const parsed = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) {
      check.notJson.push(line);
      continue;
    }
    check.lines.push(parsed);
    if (keys.length) check.duplicated.push({ line, keys });
    if (typeof parsed.level === 'number' && parsed.level >= 40) check.warnOrAbove.push(line);
  }
  return check;
}
