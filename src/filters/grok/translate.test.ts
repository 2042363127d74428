import { describe, expect, it } from 'vitest';
import { GrokSyntaxError, translate, UnknownPatternError, type TranslateOptions } from './translate.js';

/** Compiles a translated expression the way the grok filter does (one variant per input kind). */
function re(pattern: string, opts?: TranslateOptions): { test(s: string): boolean; exec(s: string): RegExpExecArray | null } {
  const t = translate(pattern, opts);
  const plain = new RegExp(t.source, t.flags);
  const multi = t.multilineSource === null ? plain : new RegExp(t.multilineSource, t.flags);
  const pick = (s: string) => (s.includes('\n') ? multi : plain);
  return { test: (s) => pick(s).test(s), exec: (s) => pick(s).exec(s) };
}

describe('translate: atomic groups and possessive quantifiers', () => {
  it('never backtracks into an atomic group', () => {
    const r = re('^a(?>bc|b)c$');
    expect(r.test('abcc')).toBe(true);
    expect(r.test('abc')).toBe(false); // "bc" was taken; giving back "c" is not allowed
    expect(re('^a(?:bc|b)c$').test('abc')).toBe(true);
  });

  it('treats *+ ++ ?+ as possessive', () => {
    expect(re('^x*+x$').test('xxx')).toBe(false);
    expect(re('^a++b$').test('aab')).toBe(true);
    expect(re('^a?+a$').test('a')).toBe(false);
    expect(re('^"[^"]*+"').exec('"quoted" rest')?.[0]).toBe('"quoted"');
  });

  it('follows Ruby syntax for {n,m}+ (a second quantifier) and {n}? (optional)', () => {
    expect(re('^a{1,2}+$').test('aaaaa')).toBe(true);
    expect(re('^a{2}?b$').test('b')).toBe(true);
    expect(re('^a{2}?b$').test('aab')).toBe(true);
    expect(re('^a{2}?b$').test('ab')).toBe(false);
    expect(re('^a{1,3}?').exec('aaa')?.[0]).toBe('a'); // {n,m}? is lazy
    expect(re('^a{,2}$').test('aa')).toBe(true);
    expect(re('^a{,2}$').test('aaa')).toBe(false);
  });

  it('keeps atomic groups and possessive quantifiers usable inside a look-behind (as ordinary ones)', () => {
    expect(re('(?<=(?>\\d+)-)x').exec('12-x')?.index).toBe(3);
    expect(re('(?<=a++)b').exec('aab')?.index).toBe(2);
    expect(re('(?<![0-9])(?>\\d+)(?=x)').exec('12x')?.[0]).toBe('12');
  });

  it('keeps captures made inside an atomic group', () => {
    const t = translate('(?>(?<x>ab))c');
    const m = new RegExp(t.source, t.flags).exec('abc')!;
    expect(m[t.groups[0].index]).toBe('ab');
  });
});

describe('translate: anchors and line semantics', () => {
  it('makes ^ and $ line anchors, as in Ruby', () => {
    const r = re('^b$');
    expect(r.test('a\nb\nc')).toBe(true);
    expect(r.test('ab')).toBe(false);
    expect(r.test('b')).toBe(true);
    const t = translate('^b$');
    expect(t.source).toBe('^b$');
    expect(t.multilineSource).toBe('(?<![^\\n])b(?![^\\n])');
    expect(translate('b').multilineSource).toBeNull();
  });

  it('supports \\A, \\z, \\Z and \\G', () => {
    expect(re('\\Ab').test('a\nb')).toBe(false);
    expect(re('\\Aa').test('a\nb')).toBe(true);
    expect(re('a\\z').test('a\n')).toBe(false);
    expect(re('a\\Z').test('a\n')).toBe(true);
    expect(re('a\\Z').test('a')).toBe(true);
    expect(re('\\Gab').test('xab')).toBe(false);
  });

  it('lets . match a newline (grok compiles with Regexp::MULTILINE) unless (?-m)', () => {
    expect(re('^a.b$').test('a\nb')).toBe(true);
    expect(re('^a(?-m:.)b$').test('a\nb')).toBe(false);
    expect(re('(?-m)^a.b').test('a\nb')).toBe(false);
    expect(re('^a.b$', { dotAll: false }).test('a\nb')).toBe(false);
  });
});

describe('translate: options', () => {
  it('applies (?i) to the rest of the enclosing group, alternatives included', () => {
    expect(re('^(?i)abc$').test('AbC')).toBe(true);
    const r = re('^a(?i)b|c$'); // Oniguruma: ^a(?i:b|c$)
    expect(r.test('aB')).toBe(true);
    expect(r.test('aC')).toBe(true);
    expect(r.test('xC')).toBe(false);
    expect(re('^(?:x(?i)y)z$').test('xYz')).toBe(true);
    expect(re('^(?:x(?i)y)z$').test('xYZ')).toBe(false);
  });

  it('supports scoped options and turning options off', () => {
    expect(re('^a(?i:b)c$').test('aBc')).toBe(true);
    expect(re('^a(?i:b)c$').test('aBC')).toBe(false);
    expect(re('^(?i)a(?-i:b)$').test('Ab')).toBe(true);
    expect(re('^(?i)a(?-i:b)$').test('AB')).toBe(false);
    expect(re('^[a-c]x$', { ignoreCase: true }).test('BX')).toBe(true);
  });

  it('supports extended mode (?x) with comments', () => {
    expect(re('(?x) ^ a b   # a comment\n c $').test('abc')).toBe(true);
    expect(re('(?x)^[ ]$').test(' ')).toBe(true); // spaces are kept inside a class
  });

  it('drops (?#comments)', () => {
    expect(re('^a(?#this is ignored)b$').test('ab')).toBe(true);
  });
});

describe('translate: character classes', () => {
  it('gives \\h its Oniguruma meaning (hex digit), not JavaScript\'s', () => {
    expect(re('^\\h+$').test('09afAF')).toBe(true);
    expect(re('^\\h+$').test('g')).toBe(false);
    expect(re('^\\H$').test('g')).toBe(true);
    expect(re('^[\\h-]+$').test('dead-beef')).toBe(true);
  });

  it('gives \\s Ruby\'s meaning (ASCII whitespace only)', () => {
    expect(re('^\\s$').test('\u00a0')).toBe(false);
    expect(re('^\\s$').test('\v')).toBe(true);
    expect(re('^\\S$').test('\u00a0')).toBe(true);
    expect(re('^[^\\s]$').test('\u2003')).toBe(true);
  });

  it('supports POSIX brackets, their negation, nested classes and && intersection', () => {
    expect(re('^[[:alpha:]_]+$').test('ab_CD')).toBe(true);
    expect(re('^[[:alpha:]]$').test('1')).toBe(false);
    expect(re('^[[:^digit:]]$').test('a')).toBe(true);
    expect(re('^[[:^digit:]]$').test('5')).toBe(false);
    expect(re('^[[:xdigit:][:space:]]+$').test('ab 12')).toBe(true);
    expect(re('^[a[0-9]]+$').test('a1a')).toBe(true);
    expect(re('^[a-z&&[^aeiou]]+$').test('bcd')).toBe(true);
    expect(re('^[a-z&&[^aeiou]]+$').test('bad')).toBe(false);
    expect(() => translate('[[:nope:]]')).toThrow(/POSIX bracket/);
  });

  it('reads a leading ] as a literal and handles escapes inside classes', () => {
    expect(re('^[]a]+$').test(']a')).toBe(true);
    expect(re('^[^]a]$').test('b')).toBe(true);
    expect(re('^[\\]\\\\]+$').test(']\\')).toBe(true);
    expect(re('^[a-]+$').test('-a')).toBe(true);
    expect(re('^[\\x41-\\x43]+$').test('ABC')).toBe(true);
    expect(re('^[\\t]$').test('\t')).toBe(true);
  });
});

describe('translate: escapes', () => {
  it('understands Oniguruma character escapes', () => {
    expect(re('^\\x41\\x{263A}\\u00e9$').test('A\u263a\u00e9')).toBe(true);
    expect(re('^\\e\\a\\0$').test('\x1b\x07\x00')).toBe(true);
    expect(re('^\\cA$').test('\x01')).toBe(true);
    expect(re('^\\x{1F600}+$').test('\u{1F600}\u{1F600}')).toBe(true);
    expect(re('^\\-\\"\\@\\%$').test('-"@%')).toBe(true); // identity escapes
    expect(re('^\\R$').test('\r\n')).toBe(true);
  });

  it('keeps syntax characters literal when they are written as text', () => {
    expect(re('^a/b\\.c\\{d\\}$').test('a/b.c{d}')).toBe(true);
    expect(re('^a{x}$').test('a{x}')).toBe(true); // not a quantifier: literal braces
    expect(re('^%$').test('%')).toBe(true);
    expect(re('^%\\{NOPE$', { resolve: () => undefined }).test('%{NOPE')).toBe(true);
  });
});

describe('translate: groups, names and back-references', () => {
  it('turns every capture into a numbered group and reports the Oniguruma names', () => {
    const t = translate('(?<[source][ip]>\\d+) (?<a.b-c@d>\\w+) (?\'q\'x)');
    expect(t.source).not.toMatch(/\(\?<[^=!]/); // no named JS groups: V8 would build a groups object per match
    expect(t.groups.map((g) => g.name)).toEqual(['[source][ip]', 'a.b-c@d', 'q']);
    const m = new RegExp(t.source, t.flags).exec('10 hey x')!;
    expect(t.groups.map((g) => m[g.index])).toEqual(['10', 'hey', 'x']);
  });

  it('allows the same name twice (each occurrence is its own group)', () => {
    const t = translate('(?<x>a)|(?<x>b)');
    expect(t.groups.map((g) => g.name)).toEqual(['x', 'x']);
    const m = new RegExp(t.source, t.flags).exec('b')!;
    expect(m[t.groups[0].index]).toBeUndefined();
    expect(m[t.groups[1].index]).toBe('b');
  });

  it('resolves named and numbered back-references', () => {
    expect(re('^(?<q>["\'])x\\k<q>$').test('"x"')).toBe(true);
    expect(re('^(?<q>["\'])x\\k<q>$').test('"x\'')).toBe(false);
    expect(re('^(a|b)(c)\\2\\1$').test('bccb')).toBe(true);
    expect(re('^(?>(?<w>\\w+)) \\k<w>$').test('ab ab')).toBe(true);
    expect(() => translate('\\k<nope>')).toThrow(/undefined name/);
    expect(() => translate('(a)\\2')).toThrow(/backref/);
  });

  it('does not capture with plain groups unless a numbered back-reference needs it', () => {
    const t = translate('(a)(b)');
    expect(t.source).toBe('(?:a)(?:b)');
    expect(t.groups).toEqual([]);
  });

  it('supports look-ahead and look-behind', () => {
    expect(re('^a(?=b)').test('ab')).toBe(true);
    expect(re('^a(?!b)').test('ab')).toBe(false);
    expect(re('(?<=x)a').exec('xa')?.index).toBe(1);
    expect(re('(?<!x)a').test('xa')).toBe(false);
  });
});

describe('translate: grok references', () => {
  const defs: Record<string, string> = { NUM: '\\d+', WORDS: '%{W}(?: %{W})*', W: '[a-z]+', LOOP: 'a%{LOOP2}', LOOP2: '%{LOOP}' };
  const resolve = (n: string) => defs[n];

  it('expands %{NAME}, %{NAME:field} and %{NAME:field:type}', () => {
    const t = translate('%{NUM:n:int} %{WORDS:w} %{NUM}', { resolve });
    expect(t.groups.map((g) => [g.name, g.grok])).toEqual([
      ['NUM:n:int', { pattern: 'NUM', field: 'n', type: 'int' }],
      ['WORDS:w', { pattern: 'WORDS', field: 'w', type: undefined }],
    ]);
    const m = new RegExp(t.source, t.flags).exec('12 ab cd 3')!;
    expect(m[t.groups[1].index]).toBe('ab cd');
  });

  it('captures %{NAME} too when namedCapturesOnly is false', () => {
    const t = translate('%{NUM} %{W:x}', { resolve, namedCapturesOnly: false });
    expect(t.groups.map((g) => [g.name, g.grok?.field])).toEqual([
      ['NUM', 'NUM'],
      ['W:x', 'x'],
    ]);
  });

  it('wraps each expansion, so a quantifier applies to the whole pattern', () => {
    expect(re('^%{W}+$', { resolve }).test('abc')).toBe(true);
    expect(re('^(?:%{NUM},)+%{NUM}$', { resolve }).test('1,22,333')).toBe(true);
  });

  it('reports unknown and self-referencing patterns', () => {
    expect(() => translate('%{NOPE}', { resolve })).toThrow(UnknownPatternError);
    expect(() => translate('%{WORDS:x} %{NOPE}', { resolve })).toThrow(/unknown grok pattern %\{NOPE\}/);
    expect(() => translate('%{LOOP}', { resolve })).toThrow(/refers to itself \(%\{LOOP\} → %\{LOOP2\} → %\{LOOP\}\)/);
  });

  it('refuses the %{NAME=regex} inline definition syntax with a pointer to patternDefinitions', () => {
    expect(() => translate('%{FOO=\\d+}', { resolve })).toThrow(/patternDefinitions/);
  });

  it('scopes inline options of a definition to that definition', () => {
    const r = re('^%{CI}x$', { resolve: (n) => (n === 'CI' ? '(?i)ab' : undefined) });
    expect(r.test('ABx')).toBe(true);
    expect(r.test('ABX')).toBe(false);
  });
});

describe('translate: errors', () => {
  it.each([
    ['\\p{L}', /Unicode property/],
    ['(?(1)a|b)', /conditional/],
    ['(?~abc)', /absent/],
    ['a\\Kb', /\\K is not supported/],
    ['\\g<1>', /\\g is not supported/],
    ['*a', /target of repeat operator is not specified/],
    ['a|+', /target of repeat operator is not specified/],
    ['^*', /target of repeat operator is invalid/],
    ['(a', /unmatched parenthesis/],
    ['a)', /unmatched close parenthesis/],
    ['[a-', /premature end of char-class/],
    ['[z-a]', /empty range/],
    ['a{3,2}', /upper bound/],
    ['(?z)', /undefined group option/],
  ])('rejects %s', (pattern, message) => {
    expect(() => translate(pattern)).toThrow(GrokSyntaxError);
    expect(() => translate(pattern)).toThrow(message);
  });
});
