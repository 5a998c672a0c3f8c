/** A tiny HTTP client for tests: real requests against a real server. */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  constructor(
    public base: string,
    public token: string | null = null,
  ) {}

  as(token: string | null): Api {
    return new Api(this.base, token);
  }

  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      h['content-type'] ??= 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const r = await fetch(this.base + '/api' + path, { method, headers: h, body: payload });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not json */
    }
    return { status: r.status, body: parsed, headers: r.headers };
  }
  get<T = any>(p: string) {
    return this.req<T>('GET', p);
  }
  post<T = any>(p: string, b?: unknown) {
    return this.req<T>('POST', p, b ?? {});
  }
  patch<T = any>(p: string, b: unknown) {
    return this.req<T>('PATCH', p, b);
  }
  del<T = any>(p: string) {
    return this.req<T>('DELETE', p);
  }
}

export interface Org {
  api: Api;
  tenantId: string;
  admin: { id: string; token: string; api: Api };
  manager: { id: string; token: string; api: Api };
  rep1: { id: string; token: string; api: Api };
  rep2: { id: string; token: string; api: Api };
  solo: { id: string; token: string; api: Api };
  pipelineId: string;
  stages: { id: string; name: string; outcome: string }[];
}

let counter = 0;
/**
 * A tenant with the demo's shape: an admin, a manager with two reps, and a rep with no manager.
 * Each call makes a distinct tenant (emails are unique per call).
 */
export async function createOrg(base: string, label = 'org'): Promise<Org> {
  const api = new Api(base);
  const tag = `${label}${++counter}${Date.now().toString(36)}`;
  const pw = 'correct horse battery';
  const s = await api.post('/auth/signup', { tenantName: `T ${tag}`, name: 'Admin', email: `admin.${tag}@t.test`, password: pw });
  if (s.status !== 201) throw new Error('signup failed: ' + JSON.stringify(s.body));
  const adminApi = api.as(s.body.token);
  const me = await adminApi.get('/me');
  const mk = async (name: string, role: string, managerId?: string) => {
    const email = `${name}.${tag}@t.test`;
    const u = await adminApi.post('/users', { name, email, password: pw, role, managerId });
    if (u.status !== 201) throw new Error('user create failed: ' + JSON.stringify(u.body));
    const l = await api.post('/auth/login', { email, password: pw });
    return { id: u.body.id, token: l.body.token, api: api.as(l.body.token) };
  };
  const manager = await mk('manager', 'MANAGER');
  const rep1 = await mk('rep1', 'REP', manager.id);
  const rep2 = await mk('rep2', 'REP', manager.id);
  const solo = await mk('solo', 'REP');
  const pipelines = await adminApi.get('/pipelines');
  const tenant = await adminApi.get('/me');
  return {
    api,
    tenantId: (tenant.body as any).tenantId ?? '',
    admin: { id: me.body.id, token: s.body.token, api: adminApi },
    manager,
    rep1,
    rep2,
    solo,
    pipelineId: pipelines.body[0].id,
    stages: pipelines.body[0].stages,
  };
}
