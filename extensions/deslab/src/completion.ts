/** Completion of table and column names in the SQL editor, from the catalog's schema. */

import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { ITableInfo } from './api';

function columnDetail(c: { type: string; unit: string }): string {
  return c.unit ? `${c.type} [${c.unit}]` : c.type;
}

/** The completion options for a schema: tables, and columns (all, or of one table). */
export function schemaOptions(tables: ITableInfo[], table?: string): Completion[] {
  if (table !== undefined) {
    const t = tables.find(x => x.name.toUpperCase() === table.toUpperCase());
    return (t?.columns ?? []).map(c => ({
      label: c.name,
      type: 'property',
      detail: columnDetail(c),
      info: c.description || undefined
    }));
  }
  const out: Completion[] = tables.map(t => ({
    label: t.name,
    type: 'class',
    detail: 'table',
    info: t.description || undefined,
    boost: 1
  }));
  const seen = new Set<string>();
  for (const t of tables) {
    for (const c of t.columns) {
      const key = c.name.toUpperCase();
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      out.push({
        label: c.name,
        type: 'property',
        detail: columnDetail(c),
        info: `${t.name}${c.description ? ': ' + c.description : ''}`
      });
    }
  }
  return out;
}

/** A CodeMirror completion source over the schema (`getTables` is read at each request). */
export function schemaCompletionSource(getTables: () => ITableInfo[]): CompletionSource {
  return (context: CompletionContext): CompletionResult | null => {
    const qualified = context.matchBefore(/[A-Za-z_][\w$#]*\.[\w$#]*$/);
    if (qualified) {
      const dot = qualified.text.indexOf('.');
      const options = schemaOptions(getTables(), qualified.text.slice(0, dot));
      if (!options.length) {
        return null;
      }
      return { from: qualified.from + dot + 1, options, validFor: /^[\w$#]*$/ };
    }
    const word = context.matchBefore(/[\w$#]+$/);
    if (!word && !context.explicit) {
      return null;
    }
    const options = schemaOptions(getTables());
    if (!options.length) {
      return null;
    }
    return { from: word ? word.from : context.pos, options, validFor: /^[\w$#]*$/ };
  };
}
