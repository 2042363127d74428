/**
 * The XPath subset of the xml filter, evaluated over the filter's own document tree.
 *
 *   path      := ("/" | "//") step (("/" | "//") step)*      (relative paths start at the root element's parent)
 *   step      := (name | prefix:name | "*" | "text()" | "node()" | "@" name | "@*" | "." | "..") predicate*
 *   predicate := "[" ( integer | "last()" | operand [("=" | "!=") literal] ) "]"
 *   operand   := "@" name | name | "text()"
 *
 * `//` is descendant-or-self, so `//item[1]` is every first `item` child, as in XPath 1.0.
 * Anything else (functions, axes by name, unions) is refused when the filter is built.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlChild[];
  parent?: XmlElement;
}
export type XmlChild = XmlElement | string;

/** An XPath result: an element, a text node (with its parent), or an attribute value. */
export type XPathItem = { kind: 'element'; node: XmlElement } | { kind: 'text'; text: string } | { kind: 'attr'; value: string };

type Test =
  | { kind: 'name'; name: string }
  | { kind: 'any' }
  | { kind: 'text' }
  | { kind: 'node' }
  | { kind: 'attr'; name: string }
  | { kind: 'self' }
  | { kind: 'parent' };

type Predicate =
  | { kind: 'position'; n: number }
  | { kind: 'last' }
  | { kind: 'exists'; operand: Operand }
  | { kind: 'compare'; operand: Operand; op: '=' | '!='; value: string };

type Operand = { kind: 'attr'; name: string } | { kind: 'child'; name: string } | { kind: 'text' };

interface Step {
  descendant: boolean;
  test: Test;
  predicates: Predicate[];
}

export type XPath = (root: XmlElement) => XPathItem[];

const NAME = /^[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?/;

export function compileXPath(src: string): XPath {
  const fail = (msg: string, at: number): never => {
    throw new Error(`unsupported or invalid XPath "${src}" at position ${at + 1}: ${msg}`);
  };
  const steps: Step[] = [];
  let i = 0;
  const s = src.trim();
  if (s === '') fail('empty expression', 0);
  let first = true;
  while (i < s.length) {
    let descendant = false;
    if (s.startsWith('//', i)) {
      descendant = true;
      i += 2;
    } else if (s[i] === '/') i += 1;
    else if (!first) fail('expected "/"', i);
    first = false;
    let test: Test;
    const rest = s.slice(i);
    if (rest.startsWith('text()')) {
      test = { kind: 'text' };
      i += 6;
    } else if (rest.startsWith('node()')) {
      test = { kind: 'node' };
      i += 6;
    } else if (rest.startsWith('@*')) {
      test = { kind: 'attr', name: '*' };
      i += 2;
    } else if (rest.startsWith('@')) {
      const m = NAME.exec(rest.slice(1)) ?? fail('expected an attribute name', i + 1);
      test = { kind: 'attr', name: m[0] };
      i += 1 + m[0].length;
    } else if (rest.startsWith('..')) {
      test = { kind: 'parent' };
      i += 2;
    } else if (rest.startsWith('.')) {
      test = { kind: 'self' };
      i += 1;
    } else if (rest.startsWith('*')) {
      test = { kind: 'any' };
      i += 1;
    } else {
      const m = NAME.exec(rest) ?? fail('expected a name, *, text(), node() or @attribute', i);
      if (s[i + m[0].length] === '(' || s.startsWith('::', i + m[0].length)) fail('functions and named axes are not supported', i);
      test = { kind: 'name', name: m[0] };
      i += m[0].length;
    }
    const predicates: Predicate[] = [];
    while (s[i] === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) fail('unclosed "["', i);
      predicates.push(parsePredicate(s.slice(i + 1, end).trim(), i + 1, fail));
      i = end + 1;
    }
    steps.push({ descendant, test, predicates });
  }
  for (let k = 0; k < steps.length - 1; k++) {
    if (steps[k].test.kind === 'text' || steps[k].test.kind === 'attr') fail('text() and @attribute can only be the last step', 0);
  }
  return (root) => evaluate(steps, root);
}

function parsePredicate(p: string, at: number, fail: (msg: string, at: number) => never): Predicate {
  if (/^\d+$/.test(p)) {
    const n = Number(p);
    if (n < 1) fail('positions start at 1', at);
    return { kind: 'position', n };
  }
  if (p === 'last()') return { kind: 'last' };
  const m = /^(@?[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?|text\(\))\s*(?:(!=|=)\s*(?:"([^"]*)"|'([^']*)'))?$/.exec(p);
  if (!m) return fail(`unsupported predicate [${p}] (use [n], [last()], [@a], [@a='v'], [child='v'] or [text()='v'])`, at);
  const operand: Operand = m[1] === 'text()' ? { kind: 'text' } : m[1].startsWith('@') ? { kind: 'attr', name: m[1].slice(1) } : { kind: 'child', name: m[1] };
  if (!m[2]) return { kind: 'exists', operand };
  return { kind: 'compare', operand, op: m[2] as '=' | '!=', value: m[3] ?? m[4] };
}

export function textContent(node: XmlElement): string {
  let out = '';
  for (const c of node.children) out += typeof c === 'string' ? c : textContent(c);
  return out;
}

function operandValues(node: XmlElement, operand: Operand): string[] {
  if (operand.kind === 'attr') return Object.prototype.hasOwnProperty.call(node.attrs, operand.name) ? [node.attrs[operand.name]] : [];
  if (operand.kind === 'text') return node.children.filter((c): c is string => typeof c === 'string');
  return node.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === operand.name).map(textContent);
}

function keep(node: XmlElement, p: Predicate, position: number, size: number): boolean {
  switch (p.kind) {
    case 'position':
      return position === p.n;
    case 'last':
      return position === size;
    case 'exists':
      return operandValues(node, p.operand).length > 0;
    case 'compare': {
      const values = operandValues(node, p.operand);
      return p.op === '=' ? values.includes(p.value) : values.length > 0 && values.some((v) => v !== p.value);
    }
  }
}

function descendantsOrSelf(node: XmlElement, out: XmlElement[]): void {
  out.push(node);
  for (const c of node.children) if (typeof c !== 'string') descendantsOrSelf(c, out);
}

function evaluate(steps: Step[], root: XmlElement): XPathItem[] {
  // A document node above the root element, so that "/root" selects the root element.
  const doc: XmlElement = { name: '#document', attrs: {}, children: [root] };
  let context: XmlElement[] = [doc];
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s];
    if (step.descendant) {
      const expanded: XmlElement[] = [];
      for (const c of context) descendantsOrSelf(c, expanded);
      context = expanded;
    }
    const last = s === steps.length - 1;
    const { test } = step;
    if (test.kind === 'text' || test.kind === 'attr') {
      if (!last) return [];
      const items: XPathItem[] = [];
      for (const node of context) {
        if (test.kind === 'text') {
          for (const c of node.children) if (typeof c === 'string') items.push({ kind: 'text', text: c });
        } else if (test.name === '*') {
          for (const v of Object.values(node.attrs)) items.push({ kind: 'attr', value: v });
        } else if (Object.prototype.hasOwnProperty.call(node.attrs, test.name)) items.push({ kind: 'attr', value: node.attrs[test.name] });
      }
      return items;
    }
    const next: XmlElement[] = [];
    const seen = new Set<XmlElement>();
    for (const node of context) {
      let candidates: XmlElement[];
      if (test.kind === 'self') candidates = [node];
      else if (test.kind === 'parent') candidates = node.parent ? [node.parent] : [];
      else {
        candidates = node.children.filter((c): c is XmlElement => typeof c !== 'string' && (test.kind !== 'name' || c.name === test.name));
      }
      for (const p of step.predicates) {
        const size = candidates.length;
        candidates = candidates.filter((c, idx) => keep(c, p, idx + 1, size));
      }
      for (const c of candidates) {
        if (c === doc || seen.has(c)) continue;
        seen.add(c);
        next.push(c);
      }
    }
    context = next;
  }
  return context.map((node) => ({ kind: 'element', node }));
}
