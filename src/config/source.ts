/**
 * Reading a pipeline file: strict JSON parsed into a tree that remembers where every value
 * stands, so that every later error can name `file:line:col`. Environment references in
 * string values are resolved here, before validation:
 *
 *   ${VAR}            the variable; an error naming it when unset
 *   ${VAR:-default}   the variable, or the default when unset or empty
 *   ${VAR} with VAR unset but VAR_FILE set: the content of that file (the Docker/Swarm
 *                     secrets convention), trailing newline removed; registered as a
 *                     secret (config/secrets.ts), so it is never printed
 *   $${...}           a literal "${...}"
 */
import { readFileSync } from 'node:fs';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { registerSecret } from './secrets.js';

export interface SourceError {
  file: string;
  line: number;
  column: number;
  /** JSON path of the value, `$.filters[2].grok.patterns`. */
  path: string;
  message: string;
}

export interface SourceDoc {
  file: string;
  text: string;
  root: Node | undefined;
  lineStarts: number[];
}

export type Env = Record<string, string | undefined>;

export function readSource(file: string, text?: string): SourceDoc {
  const content = text ?? readFileSync(file, 'utf8');
  const lineStarts = [0];
  for (let i = 0; i < content.length; i++) if (content.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const parseErrors: ParseError[] = [];
  const root = parseTree(content, parseErrors, { disallowComments: true, allowTrailingComma: false });
  const doc: SourceDoc = { file, text: content, root, lineStarts };
  if (parseErrors.length) {
    const errors = parseErrors.map((e) => errorAt(doc, e.offset, '$', `invalid JSON: ${describeParseError(e)}`));
    throw new SourceErrors(errors);
  }
  return doc;
}

function describeParseError(e: ParseError): string {
  const code = printParseErrorCode(e.error);
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'invalid number',
    PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value',
    ColonExpected: 'expected ":"',
    CommaExpected: 'expected "," (or a closing bracket)',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: 'unexpected content after the end of the document',
    InvalidCommentToken: 'comments are not allowed in JSON',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unexpected end of number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in string',
  };
  return words[code] ?? code;
}

export class SourceErrors extends Error {
  constructor(readonly errors: SourceError[]) {
    super(errors.map(formatSourceError).join('\n'));
    this.name = 'SourceErrors';
  }
}

export function formatSourceError(e: SourceError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path}: ${e.message}`;
}

export function positionOf(doc: SourceDoc, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = doc.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - doc.lineStarts[lo] + 1 };
}

export function errorAt(doc: SourceDoc, offset: number, path: string, message: string): SourceError {
  return { file: doc.file, ...positionOf(doc, offset), path, message };
}

export type PathSegment = string | number;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return out;
}

/** The tree node at a path, or the deepest existing ancestor (for errors on missing keys). */
export function nodeAt(doc: SourceDoc, segments: readonly PathSegment[]): Node | undefined {
  let node = doc.root;
  for (const seg of segments) {
    if (!node) return undefined;
    let next: Node | undefined;
    if (node.type === 'object' && typeof seg === 'string') {
      const prop = node.children?.find((p) => p.children?.[0]?.value === seg);
      next = prop?.children?.[1];
    } else if (node.type === 'array' && typeof seg === 'number') {
      next = node.children?.[seg];
    }
    if (!next) return node;
    node = next;
  }
  return node;
}

/** The node of a property's key (for "unknown key" errors, which point at the key). */
export function keyNodeAt(doc: SourceDoc, segments: readonly PathSegment[], key: string): Node | undefined {
  const obj = nodeAt(doc, segments);
  return obj?.type === 'object' ? obj.children?.find((p) => p.children?.[0]?.value === key)?.children?.[0] : undefined;
}

/**
 * Turns the tree into plain values, resolving environment references in strings.
 * Errors (unset variables, duplicate keys) are collected, not thrown one by one.
 */
export function materialize(doc: SourceDoc, env: Env, errors: SourceError[]): unknown {
  const walk = (node: Node, path: PathSegment[]): unknown => {
    switch (node.type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const prop of node.children ?? []) {
          const [keyNode, valueNode] = prop.children ?? [];
          if (!keyNode || !valueNode) continue;
          const key = String(keyNode.value);
          if (Object.prototype.hasOwnProperty.call(out, key)) {
            errors.push(errorAt(doc, keyNode.offset, formatPath([...path, key]), `duplicate key "${key}"`));
          }
          Object.defineProperty(out, key, { value: walk(valueNode, [...path, key]), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      case 'array':
        return (node.children ?? []).map((child, i) => walk(child, [...path, i]));
      case 'string':
        return interpolate(String(node.value), env, (msg) => errors.push(errorAt(doc, node.offset, formatPath(path), msg)));
      default:
        return node.value;
    }
  };
  return doc.root ? walk(doc.root, []) : undefined;
}

const REF = /\$(\$?)\{([^}]*)\}/g;

export function interpolate(value: string, env: Env, onError: (message: string) => void): string {
  if (!value.includes('${')) return value;
  return value.replace(REF, (whole, escaped: string, body: string) => {
    if (escaped) return whole.slice(1);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(body);
    if (!m) {
      onError(`invalid environment reference "\${${body}}": expected \${NAME} or \${NAME:-default}`);
      return whole;
    }
    const [, name, fallback] = m;
    const direct = env[name];
    if (direct !== undefined && (direct !== '' || fallback === undefined)) return direct;
    const fileVar = env[`${name}_FILE`];
    if (fileVar) {
      try {
        const content = readFileSync(fileVar, 'utf8').replace(/\r?\n$/, '');
        // A value from a *_FILE is a secret by convention (Docker/Swarm secrets): never print it.
        registerSecret(content);
        return content;
      } catch (e) {
        onError(`environment variable ${name}_FILE names "${fileVar}", which cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        return whole;
      }
    }
    if (fallback !== undefined) return fallback;
    onError(`environment variable ${name} is not set (set it, or give a default: \${${name}:-value})`);
    return whole;
  });
}
