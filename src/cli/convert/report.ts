/**
 * What `sluice convert` could not convert (and what it changed on the way), each with the
 * position in the Logstash file. Nothing is dropped silently: every plugin, option or
 * condition that has no equivalent becomes an `unconverted` item (convert then exits
 * non-zero); a harmless difference (an option that only tunes Logstash itself) is a `note`.
 */
import { formatPosition, type Position } from './ast.js';

export type Severity = 'unconverted' | 'note';

export interface ReportItem {
  severity: Severity;
  pos: Position;
  /** What it is about: `filter ruby`, `output stdout`, `grok option timeout_millis`. */
  subject: string;
  /** Why; empty when the subject says it all. */
  reason: string;
}

export class Report {
  readonly items: ReportItem[] = [];
  /** Filter plugins seen, and how many of them were converted (for the share in the summary). */
  filtersSeen = 0;
  filtersConverted = 0;

  unconverted(pos: Position, subject: string, reason: string): void {
    this.items.push({ severity: 'unconverted', pos, subject, reason });
  }

  note(pos: Position, subject: string, reason: string): void {
    this.items.push({ severity: 'note', pos, subject, reason });
  }

  get unconvertedCount(): number {
    return this.items.filter((i) => i.severity === 'unconverted').length;
  }

  /** The report as lines for stderr, in file and position order. */
  format(): string {
    const sorted = [...this.items].sort(
      (a, b) => (a.pos.file < b.pos.file ? -1 : a.pos.file > b.pos.file ? 1 : 0) || a.pos.line - b.pos.line || a.pos.column - b.pos.column,
    );
    const lines = sorted.map((i) => `${formatPosition(i.pos)}: ${i.severity === 'unconverted' ? 'not converted' : 'note'}: ${i.subject}${i.reason ? `: ${i.reason}` : ''}`);
    const share = this.filtersSeen ? `${this.filtersConverted} of ${this.filtersSeen} filter blocks converted (${Math.round((100 * this.filtersConverted) / this.filtersSeen)} %)` : 'no filter blocks';
    lines.push(`${share}; ${this.unconvertedCount} construct(s) not converted, ${this.items.length - this.unconvertedCount} note(s)`);
    return `${lines.join('\n')}\n`;
  }
}
