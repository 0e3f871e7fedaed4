/** The SQL editor of the Query view: CodeMirror 6 with the SQL language and our completion. */

import { autocompletion, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { PLSQL, sql } from '@codemirror/lang-sql';
import { bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { jupyterHighlightStyle, jupyterTheme } from '@jupyterlab/codemirror';
import { ITableInfo } from './api';
import { schemaCompletionSource } from './completion';

/** What the Query view needs from an editor (a textarea stands in for it in unit tests). */
export interface ISqlEditor {
  readonly node: HTMLElement;
  getValue(): string;
  setValue(text: string): void;
  insert(text: string): void;
  setTables(tables: ITableInfo[]): void;
  focus(): void;
}

/** Create the CodeMirror SQL editor; `onRun` is called on Shift-Enter / Ctrl-Enter. */
export function createSqlEditor(onRun: () => void): ISqlEditor {
  let tables: ITableInfo[] = [];
  const language = sql({ dialect: PLSQL, upperCaseKeywords: true });
  const node = document.createElement('div');
  node.className = 'deslab-sql-editor';
  const run = () => {
    onRun();
    return true;
  };
  const view = new EditorView({
    parent: node,
    state: EditorState.create({
      doc: '',
      extensions: [
        lineNumbers(),
        history(),
        bracketMatching(),
        language,
        language.language.data.of({ autocomplete: schemaCompletionSource(() => tables) }),
        autocompletion({ activateOnTyping: true }),
        syntaxHighlighting(jupyterHighlightStyle),
        jupyterTheme,
        placeholder('SELECT ... FROM DR2_MAIN WHERE ...   (Shift+Enter runs)'),
        Prec.highest(
          keymap.of([
            { key: 'Shift-Enter', run },
            { key: 'Mod-Enter', run }
          ])
        ),
        keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.lineWrapping
      ]
    })
  });
  return {
    node,
    getValue: () => view.state.doc.toString(),
    setValue: (text: string) =>
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    insert: (text: string) => {
      const { from, to } = view.state.selection.main;
      view.dispatch({
        changes: { from, to, insert: text },
        selection: { anchor: from + text.length }
      });
      view.focus();
    },
    setTables: (t: ITableInfo[]) => {
      tables = t;
    },
    focus: () => view.focus()
  };
}
