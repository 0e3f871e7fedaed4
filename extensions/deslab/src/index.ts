/**
 * The DESlab JupyterLab extension: the DES side panel (Query, Jobs, Cutouts, Footprint), a
 * launcher entry, job notifications and SQL highlighting of `%%desql` cells.
 */

import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification, showDialog, Dialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IEditorExtensionRegistry } from '@jupyterlab/codemirror';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { DeslabAPI, IJob, IResultFile } from './api';
import { loadResultCode } from './cells';
import { watchModel } from './desql';
import { JobsMonitor } from './jobs-monitor';
import { INotifier, INotifyAction, notifyEvent } from './notify';
import { DeslabPanel, ViewName } from './panel';
import { fileUrl, serverFetcher } from './server';
import { createSqlEditor } from './sql-editor';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161"><circle cx="12" cy="12" r="2.2"/>
<path d="M12 2.5a9.5 9.5 0 1 0 0 19 9.5 9.5 0 0 0 0-19zm0 2a7.5 7.5 0 1 1 0 15 7.5 7.5 0 0 1 0-15z"/>
<circle cx="5.5" cy="6" r="1.2"/><circle cx="18.5" cy="17" r="1.1"/><circle cx="17" cy="6.5" r="0.9"/></g></svg>`;

export const desIcon = new LabIcon({ name: 'deslab:des', svgstr: ICON_SVG });

namespace CommandIDs {
  export const open = 'deslab:open';
  export const show = 'deslab:show-view';
}

const notifier: INotifier = {
  success: (m, actions) => Notification.success(m, { autoClose: 8000, actions }),
  error: (m, actions) => Notification.error(m, { autoClose: false, actions }),
  warning: (m, actions) => Notification.warning(m, { autoClose: 15000, actions }),
  info: (m, actions) => Notification.info(m, { autoClose: 8000, actions })
};

const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'deslab:panel',
  description: 'The DES panel: catalog queries, jobs, cutouts and the survey footprint.',
  autoStart: true,
  optional: [ILayoutRestorer, ILauncher, ICommandPalette, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null
  ) => {
    const api = new DeslabAPI(serverFetcher());
    let storage: Storage | null = null;
    try {
      storage = window.localStorage;
    } catch {
      storage = null;
    }
    const monitor = new JobsMonitor(api, { storage });

    const host = {
      openFolder: (path: string) => {
        void app.commands.execute('filebrowser:go-to-path', { path: `/${path}` }).then(() =>
          app.shell.activateById('filebrowser')
        );
      },
      insertCell: (job: IJob, file: IResultFile) => {
        const nb = notebooks?.currentWidget;
        if (!nb || !file.path) {
          Notification.warning(
            file.path ? 'Open a notebook first: the cell is inserted into the current notebook.' : 'This result is outside the Jupyter root directory.',
            { autoClose: 6000 }
          );
          return;
        }
        const code = loadResultCode(file.path, PathExt.dirname(nb.context.path), job.name);
        NotebookActions.insertBelow(nb.content);
        const cell = nb.content.activeCell;
        if (cell) {
          cell.model.sharedModel.setSource(code);
        }
        app.shell.activateById(nb.id);
      },
      confirm: async (title: string, body: string) => {
        const r = await showDialog({
          title,
          body,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
        });
        return r.button.accept;
      },
      fileUrl,
      showGallery: () => undefined
    };

    const panels: DeslabPanel[] = [];
    const makePanel = (): DeslabPanel => {
      const panel = new DeslabPanel({
        api,
        monitor,
        editor: createSqlEditor(() => void panel.query.run()),
        host
      });
      panels.push(panel);
      panel.disposed.connect(() => panels.splice(panels.indexOf(panel), 1));
      return panel;
    };

    const side = makePanel();
    side.id = 'deslab-side-panel';
    side.title.icon = desIcon;
    side.title.caption = 'DES: catalog, jobs, cutouts, footprint';
    app.shell.add(side, 'left', { rank: 600 });
    restorer?.add(side, 'deslab-side-panel');

    const showView = (view: ViewName) => {
      side.showView(view);
      app.shell.activateById(side.id);
    };

    monitor.onEvent((ev, job) => {
      const actions: INotifyAction[] = [{ label: 'Show jobs', callback: () => showView('jobs') }];
      if (job && ev.kind === 'phase' && ev.phase === 'COMPLETED' && job.dir) {
        actions.push({ label: 'Open result', callback: () => host.openFolder(job.dir as string) });
      }
      notifyEvent(notifier, ev, job, actions);
    });
    monitor.start();

    app.commands.addCommand(CommandIDs.open, {
      label: 'DES Panel',
      caption: 'Open the DES panel (query the catalog, jobs, cutouts, footprint) in the main area',
      icon: desIcon,
      execute: () => {
        const content = makePanel();
        const widget = new MainAreaWidget({ content });
        widget.id = `deslab-panel-${Date.now()}`;
        widget.title.label = 'DES';
        widget.title.icon = desIcon;
        widget.title.closable = true;
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    app.commands.addCommand(CommandIDs.show, {
      label: args => `DES: ${String(args.view ?? 'query')}`,
      execute: args => showView((args.view as ViewName) ?? 'query')
    });
    launcher?.add({ command: CommandIDs.open, category: 'Other', rank: 0 });
    palette?.addItem({ command: CommandIDs.open, category: 'DES' });
  }
};

const desqlPlugin: JupyterFrontEndPlugin<void> = {
  id: 'deslab:desql-highlighting',
  description: 'SQL highlighting for %%desql cells.',
  autoStart: true,
  requires: [IEditorExtensionRegistry],
  activate: (app: JupyterFrontEnd, registry: IEditorExtensionRegistry) => {
    registry.addExtension({
      name: 'deslab:desql',
      factory: options => {
        watchModel(options.model as any);
        return null;
      }
    });
  }
};

export default [panelPlugin, desqlPlugin];
