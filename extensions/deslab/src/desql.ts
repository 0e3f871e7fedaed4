/**
 * `%%desql` cells are highlighted as SQL: while a Python cell starts with `%%desql`, its
 * editor model's MIME type is switched to SQL (and back when the magic line goes away).
 */

export const SQL_MIME = 'text/x-sql';
const PYTHON_MIMES = ['text/x-ipython', 'text/x-python', 'text/python'];

/** Whether a cell's source is a `%%desql` cell magic. */
export function isDesqlCell(source: string): boolean {
  return /^\s*%%desql\b/.test(source);
}

/**
 * The MIME type a cell editor should have.
 *
 * @param source the cell's text
 * @param current the model's MIME type now
 * @param original the MIME type it had before we switched it to SQL (undefined: not switched)
 * @returns the MIME type to set, or null to leave it as it is
 */
export function desqlMimeType(source: string, current: string, original: string | undefined): string | null {
  const desql = isDesqlCell(source);
  if (desql && current !== SQL_MIME && (PYTHON_MIMES.includes(current) || original !== undefined)) {
    return SQL_MIME;
  }
  if (!desql && current === SQL_MIME && original !== undefined) {
    return original;
  }
  return null;
}

/** What `watchModel` needs of a CodeEditor model (kept small for tests). */
export interface IMimeModel {
  mimeType: string;
  readonly mimeTypeChanged: { connect(fn: (sender: any, args: any) => void): unknown };
  readonly sharedModel: { getSource(): string; changed: { connect(fn: (sender: any, args: any) => void): unknown } };
}

const watched = new WeakSet<object>();

/** Keep a model's MIME type in step with its `%%desql` first line. */
export function watchModel(model: IMimeModel): void {
  if (watched.has(model)) {
    return;
  }
  watched.add(model);
  let original: string | undefined;
  const update = () => {
    const current = model.mimeType;
    const next = desqlMimeType(model.sharedModel.getSource(), current, original);
    if (next === null) {
      return;
    }
    if (next === SQL_MIME) {
      original = original ?? current;
    } else {
      original = undefined;
    }
    model.mimeType = next;
  };
  model.sharedModel.changed.connect(update);
  model.mimeTypeChanged.connect((_: unknown, args: { newValue?: string }) => {
    // the notebook resets cell MIME types when the kernel's language is known
    if (args?.newValue && args.newValue !== SQL_MIME && isDesqlCell(model.sharedModel.getSource())) {
      original = args.newValue;
    }
    update();
  });
  update();
}
