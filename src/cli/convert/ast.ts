/**
 * The syntax tree of a Logstash pipeline configuration, as `parser.ts` builds it. Every node
 * carries its position (file, line, column, all 1-based) so that the conversion report can
 * point at what it could not convert.
 */

export interface Position {
  file: string;
  line: number;
  column: number;
}

export function formatPosition(pos: Position): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

// ---------------------------------------------------------------- values

export type ValueNode = StringNode | NumberNode | BarewordNode | ArrayNode | HashNode | PluginNode;

export interface StringNode {
  kind: 'string';
  /** The text between the quotes, as Logstash reads it (escapes kept unless `config.support_escapes`). */
  value: string;
  pos: Position;
}

export interface NumberNode {
  kind: 'number';
  value: number;
  /** The number as written (`1.0` stays `1.0` where the text matters). */
  raw: string;
  pos: Position;
}

export interface BarewordNode {
  kind: 'bareword';
  value: string;
  pos: Position;
}

export interface ArrayNode {
  kind: 'array';
  items: ValueNode[];
  pos: Position;
}

export interface HashEntry {
  key: StringNode | NumberNode | BarewordNode;
  value: ValueNode;
  pos: Position;
}

export interface HashNode {
  kind: 'hash';
  entries: HashEntry[];
  pos: Position;
}

export interface Attribute {
  name: string;
  value: ValueNode;
  pos: Position;
}

/** `grok { match => … }`, also a value: `codec => json { charset => "UTF-8" }`. */
export interface PluginNode {
  kind: 'plugin';
  name: string;
  attributes: Attribute[];
  pos: Position;
}

// ---------------------------------------------------------------- conditions

/** An operand of a condition. */
export type RValue =
  | { kind: 'string'; value: string; pos: Position }
  | { kind: 'number'; value: number; raw: string; pos: Position }
  | { kind: 'selector'; path: string[]; pos: Position }
  | { kind: 'regex'; source: string; pos: Position }
  | { kind: 'list'; items: RValue[]; pos: Position }
  | { kind: 'call'; name: string; args: RValue[]; pos: Position };

export type BooleanOperator = 'and' | 'or' | 'xor' | 'nand';

export type ConditionNode =
  | { kind: 'bool'; op: BooleanOperator; left: ConditionNode; right: ConditionNode; pos: Position }
  | { kind: 'not'; operand: ConditionNode; pos: Position }
  | { kind: 'compare'; op: '==' | '!=' | '<' | '<=' | '>' | '>='; left: RValue; right: RValue; pos: Position }
  | { kind: 'match'; negate: boolean; left: RValue; right: RValue; pos: Position }
  | { kind: 'in'; negate: boolean; left: RValue; right: RValue; pos: Position }
  | { kind: 'value'; value: RValue; pos: Position };

// ---------------------------------------------------------------- statements

export type Statement = PluginNode | BranchNode;

export interface Clause {
  /** Absent for the final `else`. */
  condition?: ConditionNode;
  body: Statement[];
  pos: Position;
}

/** `if … { } else if … { } else { }`: the first clause is the `if`. */
export interface BranchNode {
  kind: 'branch';
  clauses: Clause[];
  pos: Position;
}

export type SectionType = 'input' | 'filter' | 'output';

export interface Section {
  type: SectionType;
  body: Statement[];
  pos: Position;
}

export interface ConfigFile {
  file: string;
  sections: Section[];
}
