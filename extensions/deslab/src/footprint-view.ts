/** The Footprint view: the survey's tiles on a sky map; search by position or tile name. */

import { APIError, DeslabAPI, ISearchResult, ITile } from './api';
import { button, clear, h, input } from './dom';

const SVG = 'http://www.w3.org/2000/svg';

/** `x` in (-180, 180]: the RA offset from `centre`, wrapped (so RA = 0 is no seam). */
export function wrapOffset(ra: number, centre: number): number {
  let d = (((ra - centre) % 360) + 360) % 360;
  if (d > 180) {
    d -= 360;
  }
  return d;
}

/** The circular mean of RAs in degrees (the map's centre; right across RA = 0). */
export function meanRA(ras: number[]): number {
  if (!ras.length) {
    return 0;
  }
  let sx = 0;
  let sy = 0;
  for (const r of ras) {
    sx += Math.cos((r * Math.PI) / 180);
    sy += Math.sin((r * Math.PI) / 180);
  }
  return ((((Math.atan2(sy, sx) * 180) / Math.PI) % 360) + 360) % 360;
}

/** Map coordinates: x grows with decreasing RA (east to the left, as on the sky), y = -Dec. */
export function project(ra: number, dec: number, centre: number): [number, number] {
  return [-wrapOffset(ra, centre), -dec];
}

interface IBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  return el;
}

export class FootprintView {
  readonly node: HTMLDivElement;
  readonly searchBox: HTMLInputElement;
  readonly info: HTMLDivElement;
  readonly map: SVGSVGElement;
  tiles: ITile[] = [];
  private centre = 0;
  private full: IBox = { x: -1, y: -1, w: 2, h: 2 };
  private box: IBox = { x: -1, y: -1, w: 2, h: 2 };
  private readonly tileLayer: SVGGElement;
  private readonly markLayer: SVGGElement;
  private readonly polygons = new Map<string, SVGPolygonElement>();

  constructor(private readonly api: DeslabAPI) {
    this.searchBox = input('search', '', {
      className: 'deslab-footprint-search',
      attrs: { placeholder: 'RA, Dec (deg or hh:mm:ss dd:mm:ss) or tile name' }
    });
    this.searchBox.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        void this.search(this.searchBox.value);
      }
    });
    this.info = h('div', { className: 'deslab-status', attrs: { role: 'status' } });
    this.map = svg('svg', { class: 'deslab-skymap', preserveAspectRatio: 'xMidYMid meet' });
    this.tileLayer = svg('g', { class: 'deslab-tiles' });
    this.markLayer = svg('g', { class: 'deslab-marks' });
    this.map.append(this.tileLayer, this.markLayer);
    this.map.addEventListener('wheel', ev => {
      ev.preventDefault();
      this.zoom(ev.deltaY < 0 ? 0.8 : 1.25);
    });
    this.node = h(
      'div',
      { className: 'deslab-view deslab-footprint-view' },
      h(
        'div',
        { className: 'deslab-toolbar' },
        this.searchBox,
        button('Find', () => void this.search(this.searchBox.value), { className: 'deslab-find' }),
        button('+', () => this.zoom(0.6), { title: 'zoom in' }),
        button('−', () => this.zoom(1.6), { title: 'zoom out' }),
        button('All', () => this.setBox(this.full), { title: 'show the whole footprint' })
      ),
      this.info,
      h('div', { className: 'deslab-skymap-host' }, this.map),
      h('div', { className: 'deslab-axis-note' }, 'RA increases to the left (east), Dec upwards.')
    );
  }

  async load(): Promise<void> {
    try {
      const { tiles } = await this.api.footprint();
      this.setTiles(tiles);
    } catch (err) {
      this.setInfo(`The footprint could not be loaded: ${(err as Error).message}`, 'error');
    }
  }

  setInfo(text: string, kind: 'info' | 'error' = 'info'): void {
    this.info.textContent = text;
    this.info.className = `deslab-status deslab-status-${kind}`;
  }

  setTiles(tiles: ITile[]): void {
    this.tiles = tiles;
    this.centre = meanRA(tiles.map(t => t.ra));
    clear(this.tileLayer);
    clear(this.markLayer);
    this.polygons.clear();
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const t of tiles) {
      const pts = t.corners.map(([ra, dec]) => project(ra, dec, this.centre));
      for (const [x, y] of pts) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
      const poly = svg('polygon', { class: 'deslab-tile', points: pts.map(p => p.join(',')).join(' ') });
      poly.dataset.tile = t.name;
      const title = svg('title');
      title.textContent = `${t.name}  RA ${t.ra.toFixed(3)}  Dec ${t.dec.toFixed(3)}`;
      poly.appendChild(title);
      poly.addEventListener('click', () => this.select([t.name], `${t.name}: centre RA ${t.ra.toFixed(4)}°, Dec ${t.dec.toFixed(4)}°`));
      this.polygons.set(t.name.toUpperCase(), poly);
      this.tileLayer.appendChild(poly);
    }
    if (!tiles.length) {
      this.setInfo('The survey has no tiles.', 'error');
      return;
    }
    const pad = Math.max(maxX - minX, maxY - minY) * 0.05 + 0.01;
    this.full = { x: minX - pad, y: minY - pad, w: maxX - minX + 2 * pad, h: maxY - minY + 2 * pad };
    this.setBox(this.full);
    this.setInfo(`${tiles.length} tiles. Click a tile, or search a position or a tile name.`);
  }

  private setBox(b: IBox): void {
    this.box = { ...b };
    this.map.setAttribute('viewBox', `${b.x} ${b.y} ${b.w} ${b.h}`);
  }

  zoom(factor: number, cx?: number, cy?: number): void {
    const b = this.box;
    const x0 = cx ?? b.x + b.w / 2;
    const y0 = cy ?? b.y + b.h / 2;
    const w = Math.min(b.w * factor, 400);
    const hh = Math.min(b.h * factor, 200);
    this.setBox({ x: x0 - w / 2, y: y0 - hh / 2, w, h: hh });
  }

  /** Highlight tiles (and optionally a position), and centre the map on them. */
  select(names: string[], message: string, position?: [number, number]): void {
    for (const p of this.polygons.values()) {
      p.classList.remove('deslab-tile-found');
    }
    clear(this.markLayer);
    const found = names.map(n => this.polygons.get(n.toUpperCase())).filter((p): p is SVGPolygonElement => !!p);
    for (const p of found) {
      p.classList.add('deslab-tile-found');
      this.tileLayer.appendChild(p); // on top
    }
    this.setInfo(message);
    const target = position ?? (found.length ? this.tileCentre(names[0]) : undefined);
    if (position) {
      const [x, y] = project(position[0], position[1], this.centre);
      const r = Math.max(this.full.w, this.full.h) / 150;
      this.markLayer.appendChild(svg('circle', { class: 'deslab-position', cx: x, cy: y, r }));
    }
    if (target) {
      const [x, y] = project(target[0], target[1], this.centre);
      const w = Math.min(this.full.w, 1.0);
      const hh = Math.min(this.full.h, 1.0);
      this.setBox({ x: x - w / 2, y: y - hh / 2, w, h: hh });
    }
  }

  private tileCentre(name: string): [number, number] | undefined {
    const t = this.tiles.find(x => x.name.toUpperCase() === name.toUpperCase());
    return t ? [t.ra, t.dec] : undefined;
  }

  async search(text: string): Promise<ISearchResult | null> {
    const q = text.trim();
    if (!q) {
      this.setInfo('Type a position (RA, Dec) or a tile name such as DES0000+0000.', 'error');
      return null;
    }
    try {
      const r = await this.api.search(q);
      const names = r.tiles.map(t => t.name);
      if (r.kind === 'tile') {
        this.select(names, `${names[0]}: centre RA ${r.ra.toFixed(4)}°, Dec ${r.dec.toFixed(4)}°`);
      } else if (names.length) {
        this.select(
          names,
          `RA ${r.ra.toFixed(5)}°, Dec ${r.dec.toFixed(5)}° is in ${names.join(', ')}` +
            (r.tiles[0].edge_distance !== null ? ` (${r.tiles[0].edge_distance!.toFixed(2)}′ from the edge)` : ''),
          [r.ra, r.dec]
        );
      } else {
        this.select([], r.message || 'No tile covers this position.', [r.ra, r.dec]);
      }
      return r;
    } catch (err) {
      this.setInfo(err instanceof APIError ? err.message : String(err), 'error');
      return null;
    }
  }
}
