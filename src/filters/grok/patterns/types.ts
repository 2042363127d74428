/**
 * A family of grok patterns (one module per family, as Logstash's pattern files). The
 * definitions are this project's own, written from the formats they parse; names and the
 * fields they capture follow the Logstash pattern library so existing grok expressions keep
 * working. `common` definitions apply in both modes; `legacy` (ecsCompatibility "disabled")
 * and `ecs` (ecsCompatibility "v1"/"v8") hold the variants whose captured field names differ.
 */
export interface PatternFamily {
  readonly name: string;
  readonly common?: Readonly<Record<string, string>>;
  readonly legacy?: Readonly<Record<string, string>>;
  readonly ecs?: Readonly<Record<string, string>>;
}

/** `String.raw`, so that definitions read as the regular expressions they are. */
export const r = String.raw;
