/** Requests to the Jupyter server (with its XSRF token and credentials), and file URLs. */

import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Fetcher } from './api';

/** A fetcher for `/deslab/api/...` on this Jupyter server. */
export function serverFetcher(): Fetcher {
  const settings = ServerConnection.makeSettings();
  return (path: string, init: RequestInit) =>
    ServerConnection.makeRequest(URLExt.join(settings.baseUrl, 'deslab', 'api', path), init, settings);
}

/** The URL that serves a file under the server's root (authenticated by the session). */
export function fileUrl(path: string): string {
  return URLExt.join(PageConfig.getBaseUrl(), 'files', URLExt.encodeParts(path));
}
