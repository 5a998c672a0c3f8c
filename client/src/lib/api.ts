import type {
  ActivityRecord,
  Board,
  CompanyRecord,
  ContactRecord,
  CustomFieldRecord,
  DealRecord,
  Inbox,
  PipelineRecord,
  ShareRecord,
  StageHistoryRecord,
  UserRecord,
} from '../../../shared/schemas';

/** An error answered by the API: `{ error: { code, message, details } }` plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: unknown = null,
  ) {
    super(message);
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export type ContactWithAccess = ContactRecord & { access: 'read' | 'write' };

const TOKEN_KEY = 'pulse.token';

/**
 * The session lives in the httpOnly cookie the server sets; the bearer token is also kept per tab
 * (sessionStorage) so the socket and the Yjs connection can authenticate even where cookies are not sent.
 */
export const session = {
  get token(): string | null {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set token(t: string | null) {
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      /* storage disabled */
    }
  },
};

let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void) {
  onUnauthenticated = fn;
}

function qs(params: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const t = session.token;
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch('/api' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    /* not json */
  }
  if (!res.ok) {
    const e = data?.error;
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthenticated();
    throw new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? res.statusText, e?.details ?? null);
  }
  return data as T;
}

const get = <T>(p: string) => request<T>('GET', p);
const post = <T>(p: string, b: unknown = {}) => request<T>('POST', p, b);
const patch = <T>(p: string, b: unknown) => request<T>('PATCH', p, b);
const del = (p: string) => request<void>('DELETE', p);
const enc = encodeURIComponent;

export interface ListParams {
  q?: string;
  limit?: number;
  cursor?: string | null;
  sort?: string;
  order?: 'asc' | 'desc';
  [k: string]: unknown;
}

export const api = {
  signup: (b: { tenantName: string; name: string; email: string; password: string }) => post<{ token: string; user: UserRecord }>('/auth/signup', b),
  login: (b: { email: string; password: string }) => post<{ token: string; user: UserRecord }>('/auth/login', b),
  logout: () => post<void>('/auth/logout'),
  me: () => get<UserRecord>('/me'),
  demo: () => get<{ demo: boolean }>('/auth/demo'),

  users: () => get<UserRecord[]>('/users'),
  createUser: (b: unknown) => post<UserRecord>('/users', b),
  patchUser: (id: string, b: unknown) => patch<UserRecord>(`/users/${enc(id)}`, b),

  pipelines: () => get<PipelineRecord[]>('/pipelines'),
  createPipeline: (b: unknown) => post<PipelineRecord>('/pipelines', b),
  patchPipeline: (id: string, b: unknown) => patch<PipelineRecord>(`/pipelines/${enc(id)}`, b),
  board: (pipelineId: string, ownerId?: string) => get<Board>(`/pipelines/${enc(pipelineId)}/board${qs({ ownerId })}`),

  deals: (p: ListParams) => get<Page<DealRecord>>('/deals' + qs(p)),
  deal: (id: string) => get<DealRecord>(`/deals/${enc(id)}`),
  createDeal: (b: unknown) => post<DealRecord>('/deals', b),
  patchDeal: (id: string, b: unknown) => patch<DealRecord>(`/deals/${enc(id)}`, b),
  moveDeal: (id: string, stageId: string, version?: number) => post<DealRecord>(`/deals/${enc(id)}/move`, { stageId, version }),
  dealHistory: (id: string) => get<StageHistoryRecord[]>(`/deals/${enc(id)}/history`),
  dealTimeline: (id: string, p: { cursor?: string | null; type?: string; limit?: number }) =>
    get<Page<ActivityRecord>>(`/deals/${enc(id)}/timeline${qs(p)}`),

  contacts: (p: ListParams) => get<Page<ContactRecord>>('/contacts' + qs(p)),
  contact: (id: string) => get<ContactWithAccess>(`/contacts/${enc(id)}`),
  createContact: (b: unknown) => post<ContactRecord>('/contacts', b),
  patchContact: (id: string, b: unknown) => patch<ContactRecord>(`/contacts/${enc(id)}`, b),
  contactTimeline: (id: string, p: { cursor?: string | null; type?: string; limit?: number }) =>
    get<Page<ActivityRecord>>(`/contacts/${enc(id)}/timeline${qs(p)}`),
  shares: (id: string) => get<ShareRecord[]>(`/contacts/${enc(id)}/shares`),
  share: (id: string, userId: string, permission: 'READ' | 'WRITE') => post<ShareRecord>(`/contacts/${enc(id)}/shares`, { userId, permission }),
  unshare: (id: string, userId: string) => del(`/contacts/${enc(id)}/shares/${enc(userId)}`),

  companies: (p: ListParams) => get<Page<CompanyRecord>>('/companies' + qs(p)),
  company: (id: string) => get<CompanyRecord>(`/companies/${enc(id)}`),
  createCompany: (b: unknown) => post<CompanyRecord>('/companies', b),
  patchCompany: (id: string, b: unknown) => patch<CompanyRecord>(`/companies/${enc(id)}`, b),

  createActivity: (b: unknown) => post<ActivityRecord>('/activities', b),
  patchActivity: (id: string, b: unknown) => patch<ActivityRecord>(`/activities/${enc(id)}`, b),
  inbox: () => get<Inbox>('/inbox'),

  customFields: (entityType?: string) => get<CustomFieldRecord[]>('/custom-fields' + qs({ entityType })),
  createCustomField: (b: unknown) => post<CustomFieldRecord>('/custom-fields', b),
  patchCustomField: (id: string, b: unknown) => patch<CustomFieldRecord>(`/custom-fields/${enc(id)}`, b),
};

/** A readable one-liner for an error, including the first field problem of a validation failure. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const d = Array.isArray(e.details) ? e.details[0] : null;
    return d && d.path ? `${e.message}: ${d.path} ${d.message}` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
