/**
 * A Logstash condition (`[status] >= 500 and "x" in [tags]`) as a sluice `when` / `if`
 * expression. The two languages share their shape (field references `[a][b]`, `in`,
 * `=~`, `and`/`or`/`xor`/`nand`, `!`), so this mostly re-prints the tree, normalising
 * strings (Logstash keeps backslashes as written, sluice strings are escaped), regexes
 * (Ruby syntax → JavaScript) and parenthesising every nested boolean operator so that no
 * precedence rule can differ.
 */
import type { ConditionNode, RValue } from './ast.js';
import { rubyRegex, Unconvertible } from './values.js';

export function convertCondition(c: ConditionNode): string {
  switch (c.kind) {
    case 'bool':
      // A left operand with the same operator needs no parentheses (both languages group
      // left to right), so a long `a or b or c …` chain stays flat instead of nesting deeper
      // than conditions may.
      return `${c.left.kind === 'bool' && c.left.op === c.op ? convertCondition(c.left) : operand(c.left)} ${c.op} ${operand(c.right)}`;
    case 'not':
      return `not ${c.operand.kind === 'value' ? convertCondition(c.operand) : `(${convertCondition(c.operand)})`}`;
    case 'compare':
      return `${rvalue(c.left)} ${c.op} ${rvalue(c.right)}`;
    case 'match': {
      const r = c.right;
      const source = r.kind === 'regex' ? r.source : r.kind === 'string' ? r.value : undefined;
      if (source === undefined) throw new Unconvertible(c.pos, 'the right side of =~ must be a /regex/ or a string');
      return `${rvalue(c.left)} ${c.negate ? '!~' : '=~'} ${regexLiteral(source, r.pos)}`;
    }
    case 'in':
      return `${rvalue(c.left)} ${c.negate ? 'not in' : 'in'} ${rvalue(c.right)}`;
    case 'value': {
      const v = c.value;
      // A literal alone is a constant truth value in Logstash (non-empty string, any number or list).
      if (v.kind === 'string') return v.value === '' ? 'false' : 'true';
      if (v.kind === 'number' || v.kind === 'regex') return 'true';
      if (v.kind === 'list') return v.items.length ? 'true' : 'false';
      return rvalue(v);
    }
  }
}

function operand(c: ConditionNode): string {
  const text = convertCondition(c);
  return c.kind === 'bool' ? `(${text})` : text;
}

const SEGMENT = /^[^\]\n,'"[]+$/;

function rvalue(v: RValue): string {
  switch (v.kind) {
    case 'selector': {
      const bad = v.path.find((s) => !SEGMENT.test(s));
      if (bad !== undefined) throw new Unconvertible(v.pos, `the field name "${bad}" (with quotes, commas or line breaks) cannot be referenced in a sluice condition`);
      return v.path.map((s) => `[${s}]`).join('');
    }
    case 'string':
      return quote(v.value);
    case 'number':
      return v.raw;
    case 'list':
      return `[${v.items.map(rvalue).join(', ')}]`;
    case 'regex':
      return regexLiteral(v.source, v.pos);
    case 'call':
      throw new Unconvertible(v.pos, `the function call ${v.name}() has no equivalent in sluice conditions`);
  }
}

/** A sluice string literal with the exact text (sluice reads `\\`, `\"`, `\n`, `\t` as escapes). */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

function regexLiteral(source: string, pos: RValue['pos']): string {
  const r = rubyRegex(source);
  if ('error' in r) throw new Unconvertible(pos, `regular expression /${source}/: ${r.error}`);
  // A "/" inside the regex must be escaped to stay inside the literal.
  const body = r.source.replace(/\\.|\//g, (m) => (m === '/' ? '\\/' : m));
  return `/${body}/${r.flags}`;
}
