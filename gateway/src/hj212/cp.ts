// CP grammar. Real frames break the separator rules (`;` between fields of one pollutant,
// missing `-Flag`, vendor keys), so fields are grouped by their code prefix, never by `;`/`,`.

export interface CpValue {
  suffix: string;
  /** The text as sent. */
  text: string;
  /** The data flag that applies to it (the next `-Flag` of the same code), if any. */
  flag?: string;
}

export interface PollutantGroup {
  code: string;
  /** Value fields (Rtd, Avg, ZsRtd, unknown suffixes...) in the order sent. */
  values: CpValue[];
  /** Non-value fields other than Flag (EFlag, SampleTime...), kept as sent. */
  attributes: Record<string, string>;
}

export interface Cp {
  dataTime?: string;
  /** `KEY=VALUE` fields without a code prefix (QN, RtdInterval, SystemTime...). */
  keys: Record<string, string>;
  groups: Map<string, PollutantGroup>;
  /** Tokens that were not KEY=VALUE; kept for the record, otherwise ignored. */
  junk: string[];
}

// Suffixes whose value is text, not a measurement.
const ATTRIBUTE_SUFFIXES = new Set(['EFlag', 'SampleTime', 'Info', 'Data', 'DayData', 'NightData']);
const FIELD = /^([A-Za-z0-9]+)-([A-Za-z][A-Za-z0-9]*)$/;

export function parseCp(cp: string): Cp {
  // Null-prototype records: keys come from the wire (`__proto__=1` must stay a plain key).
  const out: Cp = { keys: Object.create(null) as Record<string, string>, groups: new Map(), junk: [] };
  // Value fields of a code still waiting for their `-Flag`.
  const unflagged = new Map<string, CpValue[]>();
  for (const token of cp.split(/[;,]/)) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq <= 0) {
      out.junk.push(token);
      continue;
    }
    const key = token.slice(0, eq);
    const text = token.slice(eq + 1);
    const m = FIELD.exec(key);
    if (!m) {
      if (key === 'DataTime') out.dataTime = text;
      else out.keys[key] = text;
      continue;
    }
    const code = m[1]!;
    const suffix = m[2]!;
    let group = out.groups.get(code);
    if (!group) out.groups.set(code, (group = { code, values: [], attributes: Object.create(null) as Record<string, string> }));
    if (suffix === 'Flag') {
      // A flag belongs to the values of its code sent since that code's previous flag
      // (`01-Rtd=..,01-Flag=N;01-ZsRtd=..,01-Flag=D` gives Rtd N and ZsRtd D).
      for (const v of unflagged.get(code) ?? []) v.flag = text;
      unflagged.delete(code);
      group.attributes.Flag ??= text;
      continue;
    }
    if (ATTRIBUTE_SUFFIXES.has(suffix)) {
      group.attributes[suffix] = text;
      continue;
    }
    const value: CpValue = { suffix, text };
    group.values.push(value);
    const list = unflagged.get(code);
    if (list) list.push(value);
    else unflagged.set(code, [value]);
  }
  return out;
}
