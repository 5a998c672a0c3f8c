import type { Pulse } from '../app.js';
import type { Viewer } from '../auth/viewer.js';
import { one, rows, run } from '../db/sql.js';

export const DEMO_PASSWORD = 'pulse-demo';
export const DEMO_USERS = [
  { key: 'admin', name: 'Ada Admin', email: 'admin@demo.pulse', role: 'ADMIN' as const },
  { key: 'manager', name: 'Maya Manager', email: 'maya@demo.pulse', role: 'MANAGER' as const },
  { key: 'rep1', name: 'Ravi Rep', email: 'ravi@demo.pulse', role: 'REP' as const, manager: 'manager' },
  { key: 'rep2', name: 'Rosa Rep', email: 'rosa@demo.pulse', role: 'REP' as const, manager: 'manager' },
  { key: 'rep3', name: 'Sol Solo', email: 'sol@demo.pulse', role: 'REP' as const },
];

// A small deterministic generator, so every fresh demo looks the same.
function rng(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const FIRST = [
  'Alex',
  'Sam',
  'Jordan',
  'Taylor',
  'Morgan',
  'Casey',
  'Riley',
  'Jamie',
  'Avery',
  'Quinn',
  'Drew',
  'Harper',
  'Emerson',
  'Rowan',
  'Sage',
  'Kai',
  'Noa',
  'Lena',
  'Omar',
  'Yuki',
];
const LAST = [
  'Garcia',
  'Smith',
  'Chen',
  'Müller',
  'Okafor',
  'Rossi',
  'Novak',
  'Silva',
  'Kim',
  'Dubois',
  'Larsen',
  'Patel',
  'Haddad',
  'Costa',
  'Ivanova',
  'Brown',
  'Nakamura',
  'Walsh',
  'Singh',
  'Berg',
];
const CO = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark',
  'Wayne',
  'Wonka',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Vandelay',
  'Pied Piper',
  'Aperture',
  'Monarch',
  'Oscorp',
  'Dunder',
  'Gringotts',
  'Nakatomi',
  'Massive Dynamic',
  'Blue Sun',
  'Virtucon',
  'Gekko',
  'Prestige',
  'Sterling',
  'Bluth',
  'Krusty',
  'Ollivander',
  'Zorg',
  'Weyland',
];
const INDUSTRY = ['Software', 'Manufacturing', 'Retail', 'Finance', 'Healthcare', 'Logistics'];
const SUBJECTS: Record<string, string[]> = {
  CALL: ['Discovery call', 'Follow-up call', 'Pricing call', 'Check-in'],
  EMAIL: ['Sent proposal', 'Intro email', 'Sent case study', 'Contract questions'],
  MEETING: ['Demo', 'On-site visit', 'Kick-off', 'QBR'],
  NOTE: ['Budget confirmed', 'Champion identified', 'Competitor in play', 'Legal review'],
  TASK: ['Send contract', 'Prepare quote', 'Book demo', 'Call back', 'Chase signature'],
};

/** Seeds the demo tenant through the normal services (the one write path), only when the database is empty. */
export async function seedDemo(pulse: Pulse): Promise<boolean> {
  const em = pulse.wp.read();
  if (await one(em, 'select 1 from tenants limit 1')) return false;
  const r = rng(42);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const s = pulse.services;
  const { user: admin } = await s.auth.signup({
    tenantName: 'Demo Co',
    name: DEMO_USERS[0].name,
    email: DEMO_USERS[0].email,
    password: DEMO_PASSWORD,
  });
  const adminV = (await s.auth.authenticate(await loginToken(pulse, DEMO_USERS[0].email)))!;
  const ids: Record<string, string> = { admin: admin.id };
  for (const u of DEMO_USERS.slice(1)) {
    const rec = await s.users.create(adminV, {
      name: u.name,
      email: u.email,
      password: DEMO_PASSWORD,
      role: u.role,
      managerId: u.manager ? ids[u.manager] : null,
    });
    ids[u.key] = rec.id;
  }
  const viewers: Record<string, Viewer> = {};
  for (const u of DEMO_USERS)
    viewers[u.key] = {
      id: ids[u.key],
      tenantId: adminV.tenantId,
      role: u.role,
      managerId: u.manager ? ids[u.manager] : null,
      name: u.name,
      email: u.email,
    };
  const owners = ['manager', 'rep1', 'rep1', 'rep2', 'rep2', 'rep3', 'admin'];
  // A new link must point at a company its writer can see. Some demo contacts work at a company owned outside
  // their owner's line (as after a reassignment); the admin links those on the owner's behalf.
  const writer = async (owner: string, companyId: string) =>
    (await pulse.policy.companyAccess(em, viewers[owner], companyId)) ? viewers[owner] : adminV;

  await s.customFields.create(adminV, { entityType: 'CONTACT', fieldName: 'lead_score', fieldType: 'NUMBER' });
  await s.customFields.create(adminV, {
    entityType: 'DEAL',
    fieldName: 'deal_type',
    fieldType: 'SELECT',
    options: ['New business', 'Upsell', 'Renewal'],
  });

  const companies: { id: string; owner: string; name: string }[] = [];
  for (let i = 0; i < 30; i++) {
    const owner = pick(owners);
    const c = await s.companies.create(viewers[owner], {
      name: CO[i],
      domain: CO[i].toLowerCase().replace(/\s+/g, '') + '.example',
      industry: pick(INDUSTRY),
      size: pick(['1-10', '11-50', '51-200', '201-1000', '1000+']),
    });
    companies.push({ id: c.id, owner, name: CO[i] });
  }
  const contacts: { id: string; owner: string; company: string; companyName: string }[] = [];
  for (let i = 0; i < 200; i++) {
    const co = pick(companies);
    const owner = r() < 0.8 ? co.owner : pick(owners);
    const first = pick(FIRST),
      last = pick(LAST);
    const c = await s.contacts.create(await writer(owner, co.id), {
      ownerId: ids[owner],
      firstName: first,
      lastName: last,
      email: `${first}.${last}.${i}@${co.id.slice(0, 6)}.example`.toLowerCase(),
      phone: `+1 555 01${String(i).padStart(2, '0')}`,
      companyId: co.id,
      jobTitle: pick(['CEO', 'CTO', 'VP Sales', 'Head of Ops', 'Buyer', 'Engineer']),
      source: pick(['INBOUND', 'OUTBOUND', 'REFERRAL'] as const),
      tags: r() < 0.3 ? ['vip'] : [],
      customData: { lead_score: Math.floor(r() * 100) },
    });
    contacts.push({ id: c.id, owner, company: co.id, companyName: co.name });
  }
  const [pipeline] = await s.pipelines.list(adminV);
  const openStages = pipeline.stages.filter((x) => x.outcome === 'OPEN');
  for (let i = 0; i < 80; i++) {
    const c = pick(contacts);
    const d = await s.deals.create(await writer(c.owner, c.company), {
      ownerId: ids[c.owner],
      name: `${pick(['Platform', 'Expansion', 'Pilot', 'Renewal', 'Enterprise'])} – ${c.companyName}`,
      contactId: c.id,
      companyId: c.company,
      pipelineId: pipeline.id,
      stageId: pick(openStages).id,
      amount: String(Math.round(r() * 90 + 5) * 1000),
      currency: 'USD',
      closeDate: new Date(Date.now() + (r() * 120 - 20) * 86400_000).toISOString().slice(0, 10),
      customData: { deal_type: pick(['New business', 'Upsell', 'Renewal']) },
    });
    if (r() < 0.25) await s.deals.move(viewers[c.owner], d.id, { stageId: pick(pipeline.stages.filter((x) => x.outcome !== 'OPEN')).id });
  }
  for (let i = 0; i < 320; i++) {
    const c = pick(contacts);
    const type = pick(['CALL', 'EMAIL', 'MEETING', 'NOTE', 'TASK', 'TASK'] as const);
    const due = type === 'TASK' ? new Date(Date.now() + (r() * 14 - 5) * 86400_000).toISOString() : null;
    await s.activities.create(viewers[c.owner], {
      type,
      contactId: c.id,
      subject: pick(SUBJECTS[type]),
      body: type === 'NOTE' ? 'Spoke with the team; next step agreed.' : null,
      scheduledAt: due,
      completedAt: type === 'TASK' && r() < 0.3 ? new Date().toISOString() : null,
    });
  }
  // Spread the demo history over the last 90 days so timelines look lived-in (seed data only).
  await run(em, `update activities set created_at = now() - (random() * interval '90 days') where tenant_id = ? and type <> 'TASK'`, [
    adminV.tenantId,
  ]);
  const n = await rows(em, 'select count(*)::int as n from activities');
  pulse.log.info({ activities: n[0].n }, 'seeded demo tenant');
  return true;
}

async function loginToken(pulse: Pulse, email: string) {
  return (await pulse.services.auth.login({ email, password: DEMO_PASSWORD })).token;
}
