/** Hash routing: `#/deals/<id>` → { name: 'deal', params: { id } }. Small on purpose. */
export interface Route {
  name: string;
  params: Record<string, string>;
}

const patterns: [string, RegExp][] = [
  ['board', /^\/(?:board)?$/],
  ['board', /^\/board\/(?<pipelineId>[\w-]+)$/],
  ['deal', /^\/deals\/(?<id>[\w-]+)$/],
  ['contacts', /^\/contacts$/],
  ['contact', /^\/contacts\/(?<id>[\w-]+)$/],
  ['companies', /^\/companies$/],
  ['inbox', /^\/inbox$/],
  ['admin', /^\/admin$/],
  ['login', /^\/login$/],
  ['signup', /^\/signup$/],
];

export function parse(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] || '/';
  for (const [name, re] of patterns) {
    const m = re.exec(path);
    if (m) return { name, params: { ...(m.groups ?? {}) } };
  }
  return { name: 'notfound', params: {} };
}

class Router {
  route = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));
  constructor() {
    if (typeof window !== 'undefined')
      window.addEventListener('hashchange', () => {
        this.route = parse(location.hash);
      });
  }
  go(path: string) {
    location.hash = '#' + path;
  }
}

export const router = new Router();
export const href = (path: string) => '#' + path;
