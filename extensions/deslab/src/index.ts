import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'deslab:panel',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('deslab activated', app.name);
  }
};
export default plugin;
