import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFilter, runFilter, testContext } from '../../testing/context.js';
import { toFloat, toInt } from './convert.js';
import { grok, parsePatternFile } from './index.js';
import { familyOf, patternLibrary } from './patterns/index.js';
import { translate } from './translate.js';

type Ev = Record<string, unknown>;
const run = async (config: Record<string, unknown>, event: Ev, ctx = testContext()) => runFilter(await makeFilter(grok, config, ctx), event)[0];

// a line from /work/shared/corpus/apache-access/access.log
const ACCESS =
  '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"';

describe('grok: the standard library in both capture modes', () => {
  it('parses a combined access log into ECS fields (ecsCompatibility v1, the default)', async () => {
    const out = await run({ patterns: ['%{HTTPD_COMBINEDLOG}'] }, { message: ACCESS });
    expect(out).toEqual({
      message: ACCESS,
      source: { address: '83.149.9.216' },
      timestamp: '17/May/2015:10:05:03 +0000',
      http: { request: { method: 'GET', referrer: 'http://semicomplete.com/presentations/logstash-monitorama-2013/' }, version: '1.1', response: { status_code: 200, body: { bytes: 203023 } } },
      url: { original: '/presentations/logstash-monitorama-2013/images/kibana-search.png' },
      user_agent: { original: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36' },
    });
  });

  it('parses the same line into the legacy fields (ecsCompatibility disabled)', async () => {
    const out = await run({ patterns: ['%{COMBINEDAPACHELOG}'], ecsCompatibility: 'disabled' }, { message: ACCESS });
    expect(out).toEqual({
      message: ACCESS,
      clientip: '83.149.9.216',
      ident: '-',
      auth: '-',
      timestamp: '17/May/2015:10:05:03 +0000',
      verb: 'GET',
      request: '/presentations/logstash-monitorama-2013/images/kibana-search.png',
      httpversion: '1.1',
      response: '200',
      bytes: '203023',
      referrer: '"http://semicomplete.com/presentations/logstash-monitorama-2013/"',
      agent: '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"',
    });
  });

  it('parses nginx access logs (the "combined" format, here with $http_x_forwarded_for appended)', async () => {
    const line = '203.0.113.9 - alice [10/Oct/2023:13:55:36 +0200] "POST /api/v1/items?id=7 HTTP/2.0" 201 512 "-" "curl/8.4.0" "198.51.100.1, 10.0.0.2"';
    const out = await run({ patterns: ['%{HTTPD_COMBINEDLOG}'] }, { message: line });
    expect(out).toMatchObject({
      source: { address: '203.0.113.9' },
      user: { name: 'alice' },
      http: { request: { method: 'POST' }, version: '2.0', response: { status_code: 201, body: { bytes: 512 } } },
      url: { original: '/api/v1/items?id=7' },
      user_agent: { original: 'curl/8.4.0' },
    });
    expect(out.http).not.toHaveProperty('request.referrer');
  });

  it('treats ecsCompatibility v8 as the ECS set', async () => {
    const out = await run({ patterns: ['%{SYSLOGLINE}'], ecsCompatibility: 'v8' }, { message: 'May 11 15:17:02 meow.soy.se CRON[10973]: hello' });
    expect(out.process).toEqual({ name: 'CRON', pid: 10973 });
  });

  it('compiles every library pattern in both modes, and names each in one family only', () => {
    for (const mode of ['legacy', 'ecs'] as const) {
      const lib = patternLibrary(mode);
      expect(lib.size).toBeGreaterThan(250);
      for (const name of lib.keys()) {
        const t = translate(`%{${name}}`, { resolve: (n) => lib.get(n) });
        expect(() => new RegExp(t.source, t.flags), `${mode} ${name}`).not.toThrow();
        expect(familyOf(name)).toBeDefined();
      }
    }
  });
});

describe('grok: captures and types', () => {
  it('converts :int and :float like Logstash (Ruby to_i / to_f)', async () => {
    const out = await run({ patterns: ['%{NUMBER:a:int} %{NUMBER:b:float} %{NOTSPACE:c:int} %{NOTSPACE:d:float} %{NUMBER:e}'] }, { message: '42 -1.5 12ab 0.5s 7' });
    expect(out).toMatchObject({ a: 42, b: -1.5, c: 12, d: 0.5, e: '7' });
    expect([toInt('x'), toInt(''), toInt('1_000'), toInt(' -7'), toInt('-0'), toInt('123456789012345678')]).toEqual([0, 0, 1000, -7, 0, 123456789012345680]);
    expect([toFloat('x'), toFloat('1e3'), toFloat('.5'), toFloat('1.'), toFloat('-2.5e-1x'), toFloat('0.001\t-\tTLS')]).toEqual([0, 1000, 0.5, 1, -0.25, 0.001]);
  });

  it('keeps an empty typed capture as 0 (Logstash converts before dropping empty strings)', async () => {
    expect(await run({ patterns: ['^a%{DATA:n:int}b$'] }, { message: 'ab' })).toMatchObject({ n: 0 });
  });

  it('supports (?<field>…) named captures and Logstash [a][b] / dotted field names', async () => {
    const out = await run(
      { patterns: ['(?<queue_id>[0-9A-F]{10,11}): %{WORD:[postfix][action]} (?<[client][ip]>%{IP}) %{INT:client.port:int}'] },
      { message: 'BEF25A72965: connect 10.0.0.1 25' },
    );
    expect(out).toMatchObject({ queue_id: 'BEF25A72965', postfix: { action: 'connect' }, client: { ip: '10.0.0.1', port: 25 } });
  });

  it('captures into @metadata', async () => {
    const out = await run({ patterns: ['%{WORD:[@metadata][kind]}'] }, { message: 'x' });
    expect(out['@metadata']).toEqual({ kind: 'x' });
  });

  it('leaves out empty captures unless keepEmptyCaptures, and never keeps groups that did not take part', async () => {
    const p = { patterns: ['^%{DATA:a},(?:%{WORD:b}|%{INT:c})$'] };
    expect(await run(p, { message: ',x' })).toEqual({ message: ',x', b: 'x' });
    expect(await run({ ...p, keepEmptyCaptures: true }, { message: ',x' })).toEqual({ message: ',x', a: '', b: 'x' });
  });

  it('keeps bare %{NAME} captures when namedCapturesOnly is false', async () => {
    const out = await run({ patterns: ['%{INT} %{WORD:w}'], namedCapturesOnly: false }, { message: '5 five' });
    expect(out).toMatchObject({ INT: '5', w: 'five' });
  });

  it('turns two captures into the same field into an array', async () => {
    const out = await run({ patterns: ['%{WORD:w} %{WORD:w} %{WORD:w}'] }, { message: 'a b c' });
    expect(out.w).toEqual(['a', 'b', 'c']);
  });
});

describe('grok: existing fields and overwrite', () => {
  it('appends to an existing field (string becomes [old, new]) unless the field is in overwrite', async () => {
    const p = ['%{SYSLOGBASE} %{GREEDYDATA:message}'];
    const message = 'May 29 16:37:11 sadness logger: hello world';
    const appended = await run({ patterns: p }, { message });
    expect(appended.message).toEqual([message, 'hello world']);
    const replaced = await run({ patterns: p, overwrite: ['message'] }, { message });
    expect(replaced.message).toBe('hello world');
    expect(replaced).toMatchObject({ timestamp: 'May 29 16:37:11', host: { hostname: 'sadness' }, process: { name: 'logger' } });
  });

  it('pushes onto an existing array and leaves a non-string value alone', async () => {
    expect((await run({ patterns: ['%{WORD:t}'] }, { message: 'x', t: ['a'] })).t).toEqual(['a', 'x']);
    expect((await run({ patterns: ['%{INT:n:int}'] }, { message: '5', n: 1 })).n).toBe(1);
    expect((await run({ patterns: ['%{INT:n:int}'], overwrite: ['n'] }, { message: '5', n: 1 })).n).toBe(5);
    expect((await run({ patterns: ['%{WORD:o}'] }, { message: 'x', o: { a: 1 } })).o).toEqual({ a: 1 });
    expect((await run({ patterns: ['%{WORD:o}'] }, { message: 'x', o: null })).o).toBe('x');
  });

  it('accepts overwrite entries in either field syntax', async () => {
    const out = await run({ patterns: ['%{WORD:[a][b]}'], overwrite: ['a.b'] }, { message: 'new', a: { b: 'old' } });
    expect(out.a).toEqual({ b: 'new' });
  });
});

describe('grok: several patterns, failures and break_on_match', () => {
  it('tries patterns in order; the first match wins', async () => {
    const p = { patterns: ['%{INT:num}$', '%{WORD:word}', '%{GREEDYDATA:rest}'] };
    expect(await run(p, { message: 'abc' })).toEqual({ message: 'abc', word: 'abc' });
    expect(await run(p, { message: '12' })).toEqual({ message: '12', num: '12' });
  });

  it('applies every matching pattern when breakOnMatch is false', async () => {
    const out = await run({ patterns: ['%{INT:num}', '%{WORD:word}', 'nomatch%{WORD:x}'], breakOnMatch: false }, { message: 'abc 12' });
    expect(out).toEqual({ message: 'abc 12', num: '12', word: 'abc' });
  });

  it('tags failures (default _grokparsefailure, or the configured tags) and keeps existing tags', async () => {
    expect(await run({ patterns: ['%{INT:n}'] }, { message: 'none' })).toEqual({ message: 'none', tags: ['_grokparsefailure'] });
    expect((await run({ patterns: ['%{INT:n}'], tagOnFailure: ['a', 'b'] }, { message: 'x', tags: ['old'] })).tags).toEqual(['old', 'a', 'b']);
    expect((await run({ patterns: ['%{INT:n}'], tagOnFailure: [] }, { message: 'x' })).tags).toBeUndefined();
    expect((await run({ patterns: ['%{INT:n}'] }, { message: '1' })).tags).toBeUndefined();
  });

  it('supports Logstash-style match: field → patterns, field by field', async () => {
    const cfg = { match: { a: '%{INT:n:int}', b: ['%{WORD:w}', '%{GREEDYDATA:rest}'] } };
    expect(await run(cfg, { a: 'x', b: 'yes' })).toEqual({ a: 'x', b: 'yes', w: 'yes' });
    expect(await run(cfg, { a: '3', b: 'yes' })).toEqual({ a: '3', b: 'yes', n: 3 });
    expect(await run({ ...cfg, breakOnMatch: false }, { a: '3', b: 'yes' })).toEqual({ a: '3', b: 'yes', n: 3, w: 'yes', rest: 'yes' });
  });

  it('parses another field, every element of an array field, and a missing field as ""', async () => {
    expect(await run({ field: 'log.line', patterns: ['%{INT:n:int}'] }, { log: { line: '7' } })).toMatchObject({ n: 7 });
    expect((await run({ patterns: ['%{INT:n}'] }, { message: ['1', 'x', '2'] })).n).toEqual(['1', '2']);
    // as in Logstash, a second value for a field that holds a number (not a string) is not added
    expect((await run({ patterns: ['%{INT:n:int}'] }, { message: ['1', '2'] })).n).toBe(1);
    expect(await run({ patterns: ['%{INT:n:int}'] }, { message: 1234 })).toMatchObject({ n: 1234 });
    expect(await run({ patterns: ['^$'] }, {})).toEqual({});
    expect(await run({ patterns: ['%{INT:n}'] }, {})).toEqual({ tags: ['_grokparsefailure'] });
  });
});

describe('grok: definitions and pattern files', () => {
  it('uses inline patternDefinitions, which override the library', async () => {
    const out = await run(
      { patterns: ['%{QUEUEID:qid} %{WORD:w}'], patternDefinitions: { QUEUEID: '[0-9A-F]{10,11}', WORD: '[a-z]+-[a-z]+' } },
      { message: 'BEF25A72965 to-do' },
    );
    expect(out).toMatchObject({ qid: 'BEF25A72965', w: 'to-do' });
  });

  it('reads pattern files from patternsDir (with patternsFilesGlob) and patternFiles, relative to baseDir', async () => {
    const base = mkdtempSync(join(tmpdir(), 'grok-'));
    mkdirSync(join(base, 'patterns'));
    writeFileSync(join(base, 'patterns', 'postfix'), '# postfix\nPOSTFIX_QUEUEID [0-9A-F]{10,11}\n\n  INDENTED \\d+\n');
    writeFileSync(join(base, 'patterns', 'ignored.bak'), 'POSTFIX_QUEUEID nope\n');
    writeFileSync(join(base, 'patterns', '.hidden'), 'HIDDEN x\n');
    writeFileSync(join(base, 'extra.grok'), 'GREETING (?:hello|hi)\r\nPOSTFIX_QUEUEID [0-9A-F]{11}\r\n');
    const ctx = testContext({ baseDir: base });
    const cfg = { patternsDir: ['patterns'], patternsFilesGlob: '{postfix,other}' };
    expect(await run({ ...cfg, patterns: ['%{POSTFIX_QUEUEID:q} %{INDENTED:n:int}'] }, { message: 'BEF25A72965 12' }, ctx)).toMatchObject({ q: 'BEF25A72965', n: 12 });
    await expect(makeFilter(grok, { ...cfg, patternsFilesGlob: '*', patterns: ['%{HIDDEN}'] }, ctx)).rejects.toThrow(/unknown grok pattern %\{HIDDEN\}/);
    // patternFiles are read after patternsDir: their definitions win
    const both = { ...cfg, patternFiles: ['extra.grok'], patterns: ['%{GREETING:g} %{POSTFIX_QUEUEID:q}'] };
    expect(await run(both, { message: 'hi ABCDEF12345' }, ctx)).toMatchObject({ g: 'hi', q: 'ABCDEF12345' });
    expect(await run(both, { message: 'hi BEF25A7296' }, ctx)).toMatchObject({ tags: ['_grokparsefailure'] });
  });

  it('parses the Logstash pattern file format', () => {
    const into = new Map<string, string>();
    parsePatternFile('# comment\n   # indented comment\nA  a b  \n\tB\tx\nNOPATTERN\n\nC c', into);
    expect([...into]).toEqual([
      ['A', 'a b  '],
      ['B', 'x'],
      ['C', 'c'],
    ]);
  });

  it('reports unreadable pattern files and directories clearly', async () => {
    const ctx = testContext({ baseDir: mkdtempSync(join(tmpdir(), 'grok-')) });
    await expect(makeFilter(grok, { patterns: ['x'], patternFiles: ['missing.grok'] }, ctx)).rejects.toThrow(/cannot read pattern file .*missing\.grok: ENOENT/);
    await expect(makeFilter(grok, { patterns: ['x'], patternsDir: ['nodir'] }, ctx)).rejects.toThrow(/patternsDir "nodir" .* is not a readable directory/);
  });
});

describe('grok: configuration errors', () => {
  it.each([
    [{ patterns: ['%{HTTPD_COMBINEDLOGG}'] }, /unknown grok pattern %\{HTTPD_COMBINEDLOGG\} in pattern "%\{HTTPD_COMBINEDLOGG\}"; did you mean %\{HTTPD_COMBINEDLOG\}/],
    [{ patterns: ['%{IPORHOST:x} %{NOPE}'] }, /unknown grok pattern %\{NOPE\}/],
    [{ patterns: ['%{FOO}'], patternDefinitions: { FOO: '%{BAR}', BAR: '%{FOO}' } }, /refers to itself/],
    [{ patterns: ['(unclosed'] }, /invalid regular expression in pattern "\(unclosed"/],
    [{ patterns: ['\\p{L}'] }, /Unicode property escapes/],
    [{ patterns: ['%{NUMBER:n:long}'] }, /unsupported type "long" in %\{NUMBER:n:long\}/],
    [{ patterns: ['%{WORD:[a]b}'] }, /invalid field reference "\[a\]b"/],
    [{ patterns: ['x'], match: { message: 'y' } }, /either `patterns`.* or `match`/],
    [{}, /no pattern to match/],
  ])('rejects %j', async (config, message) => {
    await expect(makeFilter(grok, config)).rejects.toThrow(message);
  });

  it('validates the config schema', async () => {
    await expect(makeFilter(grok, { patterns: [] })).rejects.toThrow(/invalid grok config/);
    await expect(makeFilter(grok, { patterns: ['x'], ecsCompatibility: 'v2' })).rejects.toThrow(/invalid grok config/);
    await expect(makeFilter(grok, { patterns: ['x'], tag_on_failure: [] })).rejects.toThrow(/invalid grok config/);
  });
});

describe('grok: hostile field names', () => {
  it.each(['(?<__proto__>\\w+)', '%{WORD:[__proto__][polluted]}', '%{WORD:constructor.prototype.polluted}', '(?<[a][prototype]>x)'])(
    'refuses %s at configuration time',
    async (pattern) => {
      await expect(makeFilter(grok, { patterns: [pattern] })).rejects.toThrow(/is not allowed/);
    },
  );

  it('is harmless with odd but allowed names and with a hostile event', async () => {
    const out = await run({ patterns: ['%{WORD:toString} %{WORD:hasOwnProperty}'] }, JSON.parse('{"message":"a b","__proto__":{"x":1}}'));
    expect(out.toString).toBe('a');
    expect(out.hasOwnProperty).toBe('b');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  // Capture storage is generated code with the field names in it (compileApplier): a name
  // must only ever be data there.
  it('stores fields whose names hold quotes, backslashes, template and code syntax as plain keys', async () => {
    const names = ['a"b', "c'd", 'e\\f', '${g}', '`h`', '});pwned=1;({', 'i\nj'];
    const pattern = names.map((n, i) => `(?<[x][${n}]>\\w+)${i < names.length - 1 ? ' ' : ''}`).join('');
    const out = await run({ patterns: [pattern] }, { message: names.map((_, i) => `w${i}`).join(' ') });
    expect(Object.keys(out.x as object)).toEqual(names);
    names.forEach((n, i) => expect((out.x as Record<string, unknown>)[n]).toBe(`w${i}`));
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined(); // sloppy-mode code would set a global
  });
});

describe('grok: target, anchors and multi-line text', () => {
  it('puts captures under target', async () => {
    const out = await run({ patterns: ['%{WORD:a} %{INT:[b][c]:int}'], target: 'parsed' }, { message: 'x 1' });
    expect(out).toEqual({ message: 'x 1', parsed: { a: 'x', b: { c: 1 } } });
    const over = await run({ patterns: ['%{WORD:a}'], target: 'p', overwrite: ['a'] }, { message: 'new', p: { a: 'old' } });
    expect(over.p).toEqual({ a: 'new' });
  });

  it('lets GREEDYDATA span lines and treats ^/$ as line anchors, as Logstash does', async () => {
    const trace = 'Exception in thread "main" java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n\tat a.B.main(B.java:9)';
    const out = await run({ patterns: ['^%{DATA:head}: %{GREEDYDATA:rest}$'] }, { message: trace });
    expect(out.rest).toBe('boom\n\tat a.B.c(B.java:1)\n\tat a.B.main(B.java:9)');
    const line = await run({ patterns: ['^\\tat %{JAVACLASS:class}\\.%{JAVAMETHOD:method}\\(B\\.java:9\\)$'] }, { message: trace });
    expect(line).toMatchObject({ class: 'a.B', method: 'main' });
    expect(await run({ patterns: ['^boom$'] }, { message: trace })).toMatchObject({ tags: ['_grokparsefailure'] });
  });
});

describe('grok: spec', () => {
  it('declares its timeout tag and documents every option', () => {
    expect(grok.timeoutTag).toBe('_groktimeout');
    for (const [key, schema] of Object.entries(grok.config.properties)) {
      expect((schema as { description?: string }).description, key).toBeTruthy();
    }
  });

  it('ships a real catastrophic-backtracking fixture for the runtime watchdog test', async () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/catastrophic.json', import.meta.url), 'utf8')) as { pattern: string; line: string; note: string };
    expect(Object.keys(fixture).sort()).toEqual(['line', 'note', 'pattern']);
    const f = await makeFilter(grok, { patterns: [fixture.pattern] });
    // the expression itself is fine: a line with the separator matches at once
    const good = fixture.line.replace(']', ']:');
    const ok = { message: good };
    f.process(ok);
    expect(ok).toMatchObject({ timestamp: 'Mar 16 00:01:25', message: [good, 'lost'] });
    // a much shorter line of the same shape already takes measurably longer than a normal one
    const started = performance.now();
    f.process({ message: 'Mar 16 00:01:25 evita-postfix-smtpd' });
    expect(performance.now() - started).toBeGreaterThan(1);
  });
});

describe('grok: storing captures into nested fields', () => {
  it('creates each parent object once per match, keeps existing parents, replaces a non-object on the way', async () => {
    const out = await run(
      { patterns: ['%{WORD:[http][request][method]} %{NOTSPACE:[url][path]} %{INT:[http][response][status]:int} %{WORD:[http][version]}'] },
      { message: 'GET /a 200 one', http: { keep: true }, url: 'not an object' },
    );
    expect(out).toEqual({ message: 'GET /a 200 one', http: { keep: true, request: { method: 'GET' }, response: { status: 200 }, version: 'one' }, url: { path: '/a' } });
  });

  it('a capture whose field is the parent of another capture is stored as before (the later capture replaces the string)', async () => {
    const out = await run({ patterns: ['%{WORD:a} %{WORD:[a][b]}'] }, { message: 'x y' });
    expect(out).toEqual({ message: 'x y', a: { b: 'y' } });
  });

  it('the parents found in one match are not reused for the next event', async () => {
    const filter = await makeFilter(grok, { patterns: ['%{WORD:[p][q]}'] }, testContext());
    const [first] = runFilter(filter, { message: 'one' });
    const [second] = runFilter(filter, { message: 'two' });
    expect(first).toEqual({ message: 'one', p: { q: 'one' } });
    expect(second).toEqual({ message: 'two', p: { q: 'two' } });
    expect(first.p).not.toBe(second.p);
  });
});
