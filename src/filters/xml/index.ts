/**
 * xml: parses XML text, as Logstash's xml filter: the document as an object in `target`
 * (XmlSimple's shape: the root element's attributes and children, every child in an array
 * unless `forceArray` is off, text beside attributes under `content`), and/or the values
 * of XPath expressions (a subset, see xpath.ts) in fields.
 *
 * Hostile input stays cheap: a document over `maxBytes`, nested deeper than `maxDepth`,
 * with more than `maxElements` elements or declaring entities (billion laughs, external
 * entities) is refused before or while parsing, never expanded, and the event is tagged
 * `_xmlparsefailure` (or dead-lettered with `onFailure: "dead_letter"`), like a document
 * that is not well-formed. The runtime's per-event time limit bounds the rest.
 */
import { Type } from '@sinclair/typebox';
import { FilterError, type Filter, type FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setField, type Event } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';
import { compileXPath, type XmlChild, type XmlElement, type XPath, type XPathItem } from './xpath.js';

export const xmlConfig = Type.Object(
  {
    source: Type.String({ minLength: 1, description: 'Field holding the XML text.' }),
    target: Type.Optional(Type.String({ minLength: 1, description: 'Field that receives the document as an object (required when `storeXml` is true).' })),
    storeXml: Type.Boolean({ default: true, description: 'Store the whole document in `target`.' }),
    xpath: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          '`{ "xpath": "field" }`: each field receives the list of values the expression selects (text for `text()`, the value for `@attr`, the XML of an element), appended to what the field holds. Subset: `/`, `//`, names, `*`, `text()`, `node()`, `@a`, `@*`, `.`, `..`, predicates `[n]`, `[last()]`, `[@a]`, `[@a=\'v\']`, `[child=\'v\']`, `[text()=\'v\']`.',
      }),
    ),
    forceArray: Type.Boolean({ default: true, description: 'Every child element becomes an array, even when it occurs once (Logstash default).' }),
    forceContent: Type.Boolean({ default: false, description: 'Text of an element without attributes also goes under `content` instead of being the value itself.' }),
    removeNamespaces: Type.Boolean({ default: false, description: 'Drop namespace prefixes from element and attribute names, and `xmlns` attributes.' }),
    suppressEmpty: Type.Boolean({ default: true, description: 'Leave out elements with neither attributes nor content (otherwise they become empty objects).' }),
    maxBytes: Type.Integer({ minimum: 1, default: 1024 * 1024, description: 'Longest XML text parsed (UTF-16 code units); a longer one is a failure.' }),
    maxDepth: Type.Integer({ minimum: 1, maximum: 1000, default: 64, description: 'Deepest element nesting accepted.' }),
    maxElements: Type.Integer({ minimum: 1, default: 100_000, description: 'Most elements accepted in one document.' }),
    onFailure: Type.Union([Type.Literal('tag'), Type.Literal('dead_letter')], {
      default: 'tag',
      description: '`tag`: the event goes on, tagged with `tagOnFailure`; `dead_letter`: the record goes to the dead-letter topic (reason `filter_error`).',
    }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_xmlparsefailure'], description: 'Tags added when the text is not well-formed XML or breaks a limit.' }),
    ...successActions,
  },
  { additionalProperties: false },
);

class XmlRefused extends Error {}

const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The five predefined entities and character references, in one pass (nothing else is ever expanded). */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (whole, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name) return NAMED[name];
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : whole;
  });
}

function escapeXml(s: string, attr = false): string {
  const t = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return attr ? t.replace(/"/g, '&quot;') : t;
}

function serialize(node: XmlElement): string {
  const attrs = Object.entries(node.attrs).map(([k, v]) => ` ${k}="${escapeXml(v, true)}"`).join('');
  if (node.children.length === 0) return `<${node.name}${attrs}/>`;
  return `<${node.name}${attrs}>${node.children.map((c) => (typeof c === 'string' ? escapeXml(c) : serialize(c))).join('')}</${node.name}>`;
}

/** Start tags in the text (an upper bound of the elements), counted up to `limit + 1`. */
function countStartTags(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf('<'); i >= 0 && n <= limit; i = text.indexOf('<', i + 1)) {
    const next = text.charCodeAt(i + 1);
    if (next !== 0x2f && next !== 0x21 && next !== 0x3f) n++; // not </, <! or <?
  }
  return n;
}

/** Own-property assignment: element names from the document never reach a prototype. */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export const xml: FilterSpec<typeof xmlConfig> = {
  kind: 'filter',
  name: 'xml',
  summary: 'Parse XML into an object and/or extract XPath values, bounded in size and depth',
  config: xmlConfig,
  async create(config): Promise<Filter> {
    // Imported here: a pipeline without an xml filter never loads the parser (start-up CPU of
    // every `sluice` process; docs/performance.md).
    const { XMLParser, XMLValidator } = await import('fast-xml-parser');
    if (config.storeXml && config.target === undefined) throw new Error('storeXml is true, so give a target (or set storeXml to false and use xpath)');
    const source = parsePath(config.source);
    const target = config.target !== undefined ? parsePath(config.target) : undefined;
    const xpaths: { expr: XPath; field: ReturnType<typeof parsePath> }[] = Object.entries(config.xpath ?? {}).map(([expr, field]) => ({ expr: compileXPath(expr), field: parsePath(field) }));
    const { forceArray, forceContent, removeNamespaces, suppressEmpty, maxBytes, maxDepth, maxElements } = config;
    const tags = config.tagOnFailure;
    const onSuccess = compileSuccessActions(config);
    const parser = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      ignoreDeclaration: true,
      ignorePiTags: true,
      // Entities are decoded by decodeEntities, never expanded by the parser.
      processEntities: false,
      maxNestedTags: maxDepth,
    });
    const localName = (n: string) => (removeNamespaces ? n.slice(n.indexOf(':') + 1) : n);

    /** fast-xml-parser's ordered output → our tree (decoded text, namespaces handled, limits checked). */
    const toTree = (items: unknown[]): XmlElement => {
      let elements = 0;
      const build = (entry: Record<string, unknown>, parent: XmlElement | undefined): XmlElement | undefined => {
        const name = Object.keys(entry).find((k) => k !== ':@');
        if (name === undefined || name === '#text') return undefined;
        if (++elements > maxElements) throw new XmlRefused(`more than ${maxElements} elements`);
        const attrs: Record<string, string> = {};
        for (const [k, v] of Object.entries((entry[':@'] as Record<string, unknown>) ?? {})) {
          if (removeNamespaces && (k === 'xmlns' || k.startsWith('xmlns:'))) continue;
          put(attrs, localName(k), decodeEntities(String(v)));
        }
        const node: XmlElement = { name: localName(name), attrs, children: [], parent };
        for (const child of (entry[name] as Record<string, unknown>[]) ?? []) {
          if (Object.prototype.hasOwnProperty.call(child, '#text')) node.children.push(decodeEntities(String(child['#text'])));
          else {
            const c = build(child, node);
            if (c) node.children.push(c);
          }
        }
        return node;
      };
      const roots = (items as Record<string, unknown>[]).map((e) => build(e, undefined)).filter((e): e is XmlElement => e !== undefined);
      if (roots.length !== 1) throw new XmlRefused(roots.length === 0 ? 'no root element' : 'more than one root element');
      return roots[0];
    };

    /** XmlSimple's conversion of an element's content (KeepRoot off: the caller passes the root). */
    const toObject = (node: XmlElement): unknown => {
      const hasElements = node.children.some((c) => typeof c !== 'string');
      const text = node.children.filter((c): c is string => typeof c === 'string').join('').trim();
      const attrNames = Object.keys(node.attrs);
      if (!hasElements && attrNames.length === 0) {
        if (text === '') return suppressEmpty ? undefined : {};
        return forceContent ? { content: text } : text;
      }
      const obj: Record<string, unknown> = {};
      for (const k of attrNames) put(obj, k, node.attrs[k]);
      for (const c of node.children as XmlChild[]) {
        if (typeof c === 'string') continue;
        const v = toObject(c);
        if (v === undefined) continue;
        const existing = Object.prototype.hasOwnProperty.call(obj, c.name) ? obj[c.name] : undefined;
        if (existing === undefined) put(obj, c.name, forceArray ? [v] : v);
        else if (Array.isArray(existing)) existing.push(v);
        else put(obj, c.name, [existing, v]);
      }
      if (text !== '') put(obj, 'content', text);
      return obj;
    };

    const itemText = (item: XPathItem): string => (item.kind === 'element' ? serialize(item.node) : item.kind === 'text' ? item.text : item.value);

    const fail = (event: Event, why: string): void => {
      if (config.onFailure === 'dead_letter') throw new FilterError(`xml: ${why}`);
      for (const t of tags) addTag(event, t);
    };

    return {
      process(event) {
        const value = getField(event, source);
        if (typeof value !== 'string') return;
        if (value.length > maxBytes) return fail(event, `document longer than maxBytes (${maxBytes})`);
        // Entity declarations are refused outright: no billion laughs, no external entities.
        if (value.includes('<!ENTITY')) return fail(event, 'entity declarations are not accepted');
        if (countStartTags(value, maxElements) > maxElements) return fail(event, `more than ${maxElements} elements`);
        let root: XmlElement;
        try {
          // The parser first: it stops at maxDepth; the validator then checks well-formedness.
          const parsed = parser.parse(value) as unknown[];
          const valid = XMLValidator.validate(value);
          if (valid !== true) return fail(event, `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
          root = toTree(parsed);
        } catch (err) {
          return fail(event, (err as Error).message);
        }
        if (target) {
          const obj = toObject(root);
          setField(event, target, obj === undefined ? {} : typeof obj === 'string' ? { content: obj } : obj);
        }
        for (const { expr, field } of xpaths) {
          const items = expr(root);
          if (items.length === 0) continue;
          const current = getField(event, field);
          const list = Array.isArray(current) ? current : current === undefined ? [] : [current];
          for (const item of items) list.push(itemText(item));
          setField(event, field, list);
        }
        onSuccess(event);
      },
    };
  },
};
