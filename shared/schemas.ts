/**
 * Request and record schemas shared by the server (validation, OpenAPI) and the client (forms, types).
 * Ids are opaque strings; money is a decimal string; timestamps are ISO-8601 strings.
 */
import { z } from 'zod';

export const Role = z.enum(['ADMIN', 'MANAGER', 'REP']);
export const ContactSource = z.enum(['INBOUND', 'OUTBOUND', 'REFERRAL']);
export const DealStatus = z.enum(['OPEN', 'WON', 'LOST']);
export const StageOutcome = z.enum(['OPEN', 'WON', 'LOST']);
export const ActivityType = z.enum(['EMAIL', 'CALL', 'MEETING', 'NOTE', 'TASK']);
export const SharePermission = z.enum(['READ', 'WRITE']);
export const CustomEntityType = z.enum(['CONTACT', 'DEAL', 'COMPANY']);
export const CustomFieldType = z.enum(['TEXT', 'NUMBER', 'DATE', 'SELECT', 'MULTI_SELECT']);

export const Id = z.string().uuid();
const trimmed = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();
export const Email = z.string().trim().toLowerCase().email().max(320);
export const Password = z.string().min(8).max(200);
/**
 * Exact decimal money as deals.amount (numeric(18,2)) holds it: not negative, at most 16 integer digits and 2 decimals.
 * Anything else is refused with a message naming the limit — never rounded — so what is stored is what was sent.
 * JSON numbers are accepted only up to 15 significant digits: beyond that a double may already have rounded what the
 * client typed (1234567890123456.78 arrives as 1234567890123456.8), so those must come as strings.
 */
export const MONEY_INTEGER_DIGITS = 16;
const EXACT_NUMBER_DIGITS = 15;
export const Money = z
  .union([z.string(), z.number()], { error: 'must be a decimal amount with at most 2 decimals, like "1234.50"' })
  .describe('Exact decimal, not negative, at most 16 digits before the point and 2 after, e.g. "1234.50"; send as a string')
  .transform((v, ctx) => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (typeof v === 'number' && v < 0) return fail('must not be negative');
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v.trim();
    // Exponent forms only come from numbers (String(1e21) is "1e+21"): say which limit they break.
    const exp = typeof v === 'number' ? /e([+-]\d+)$/i.exec(s) : null;
    if (exp)
      return fail(
        Number(exp[1]) > 0
          ? `must have at most ${MONEY_INTEGER_DIGITS} digits before the decimal point`
          : 'must be a decimal amount with at most 2 decimals',
      );
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) return fail('must be a decimal amount with at most 2 decimals, like "1234.50"');
    const sign = m[1]!,
      frac = m[3] ?? '';
    const digits = m[2]!.replace(/^0+(?=\d)/, '');
    const zero = /^0+$/.test(digits + frac);
    if (sign && !zero) return fail('must not be negative');
    if (frac.length > 2) return fail('must be a decimal amount with at most 2 decimals');
    if (digits.length > MONEY_INTEGER_DIGITS)
      return fail(`must have at most ${MONEY_INTEGER_DIGITS} digits before the decimal point (at most 9999999999999999.99)`);
    if (typeof v === 'number' && (digits + frac).replace(/^0+/, '').length > EXACT_NUMBER_DIGITS) {
      return fail(`has more than ${EXACT_NUMBER_DIGITS} digits, too many for a JSON number to carry exactly; send it as a string`);
    }
    return frac ? `${digits}.${frac}` : digits;
  });
// ISO 4217 codes as the runtime knows them (Node and every current browser); the regex alone where Intl lacks the list.
const CURRENCIES: Set<string> | null =
  typeof Intl !== 'undefined' && 'supportedValuesOf' in Intl ? new Set((Intl as any).supportedValuesOf('currency')) : null;
export const Currency = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
  .refine((c) => !CURRENCIES || CURRENCIES.has(c), 'must be an ISO 4217 currency code');
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine(
    (s) => !Number.isNaN(Date.parse(s + 'T00:00:00Z')) && new Date(s + 'T00:00:00Z').toISOString().startsWith(s),
    'must be a valid date (YYYY-MM-DD)',
  );
export const IsoDateTime = z.string().datetime({ offset: true });
/** Custom field values are checked against the tenant's definitions on the server; here only the JSON shape. */
export const CustomData = z.record(z.string().max(63), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]));
export const Tags = z.array(z.string().trim().min(1).max(50)).max(50);

// ---------- auth & users
export const SignupInput = z.object({ tenantName: trimmed(200), name: trimmed(200), email: Email, password: Password }).strict();
export const LoginInput = z.object({ email: Email, password: z.string().min(1).max(200) }).strict();
export const UserCreateInput = z
  .object({ name: trimmed(200), email: Email, password: Password, role: Role, managerId: Id.nullable().optional() })
  .strict();
export const UserPatchInput = z
  .object({
    name: trimmed(200).optional(),
    email: Email.optional(),
    password: Password.optional(),
    role: Role.optional(),
    managerId: Id.nullable().optional(),
  })
  .strict();
export const UserRecord = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: Role,
  managerId: z.string().nullable(),
  createdAt: z.string(),
});
export const AuthResult = z.object({ token: z.string(), user: UserRecord });

// ---------- companies
export const CompanyCreateInput = z
  .object({
    name: trimmed(200),
    domain: optionalText(253),
    industry: optionalText(100),
    size: optionalText(50),
    website: optionalText(2048),
    ownerId: Id.optional(),
    customData: CustomData.optional(),
  })
  .strict();
export const CompanyPatchInput = CompanyCreateInput.partial().strict();
/** What the viewer may do with a record, decided by the server's policy module; clients show controls from it. */
export const Abilities = z.object({ update: z.boolean(), delete: z.boolean(), share: z.boolean(), reassign: z.boolean(), merge: z.boolean() });
export const CompanyRecord = z.object({
  id: z.string(),
  name: z.string(),
  domain: z.string().nullable(),
  industry: z.string().nullable(),
  size: z.string().nullable(),
  website: z.string().nullable(),
  ownerId: z.string(),
  customData: CustomData,
  createdAt: z.string(),
  updatedAt: z.string(),
  abilities: Abilities.optional(),
});

// ---------- contacts
export const ContactCreateInput = z
  .object({
    firstName: trimmed(100),
    lastName: z.string().trim().max(100).default(''),
    email: Email.nullable().optional(),
    phone: optionalText(50),
    companyId: Id.nullable().optional(),
    jobTitle: optionalText(200),
    source: ContactSource.nullable().optional(),
    ownerId: Id.optional(),
    tags: Tags.optional(),
    customData: CustomData.optional(),
  })
  .strict();
export const ContactPatchInput = z
  .object({
    firstName: trimmed(100).optional(),
    lastName: z.string().trim().max(100).optional(),
    email: Email.nullable().optional(),
    phone: optionalText(50),
    companyId: Id.nullable().optional(),
    jobTitle: optionalText(200),
    source: ContactSource.nullable().optional(),
    ownerId: Id.optional(),
    tags: Tags.optional(),
    customData: CustomData.optional(),
  })
  .strict();
export const ContactRecord = z.object({
  id: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  companyId: z.string().nullable(),
  jobTitle: z.string().nullable(),
  source: ContactSource.nullable(),
  ownerId: z.string(),
  tags: z.array(z.string()),
  customData: CustomData,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The viewer's access: 'read' through a READ share. */
  access: z.enum(['read', 'write']).optional(),
  abilities: Abilities.optional(),
});
export const ShareInput = z.object({ userId: Id, permission: SharePermission }).strict();
export const ShareRecord = z.object({ contactId: z.string(), userId: z.string(), permission: SharePermission, createdAt: z.string() });

// ---------- pipelines
export const StageInput = z
  .object({ name: trimmed(100), winProbability: z.number().int().min(0).max(100), outcome: StageOutcome.optional() })
  .strict();
export const PipelineCreateInput = z.object({ name: trimmed(200), stages: z.array(StageInput).min(1).max(50) }).strict();
export const StageUpdateInput = z
  .object({ id: Id.optional(), name: trimmed(100), winProbability: z.number().int().min(0).max(100), outcome: StageOutcome.optional() })
  .strict();
export const PipelinePatchInput = z.object({ name: trimmed(200).optional(), stages: z.array(StageUpdateInput).min(1).max(50).optional() }).strict();
export const StageRecord = z.object({
  id: z.string(),
  pipelineId: z.string(),
  name: z.string(),
  orderIndex: z.number(),
  winProbability: z.number(),
  outcome: StageOutcome,
});
export const PipelineRecord = z.object({ id: z.string(), name: z.string(), stages: z.array(StageRecord), createdAt: z.string() });

// ---------- deals
export const DealCreateInput = z
  .object({
    name: trimmed(200),
    contactId: Id.nullable().optional(),
    companyId: Id.nullable().optional(),
    ownerId: Id.optional(),
    pipelineId: Id,
    stageId: Id.optional(),
    amount: Money.optional(),
    currency: Currency.optional(),
    closeDate: IsoDate.nullable().optional(),
    customData: CustomData.optional(),
  })
  .strict();
export const DealPatchInput = z
  .object({
    name: trimmed(200).optional(),
    contactId: Id.nullable().optional(),
    companyId: Id.nullable().optional(),
    ownerId: Id.optional(),
    amount: Money.optional(),
    currency: Currency.optional(),
    closeDate: IsoDate.nullable().optional(),
    customData: CustomData.optional(),
    version: z.number().int().positive().optional(),
  })
  .strict();
export const MoveInput = z.object({ stageId: Id, version: z.number().int().positive().optional() }).strict();
export const DealRecord = z.object({
  id: z.string(),
  name: z.string(),
  contactId: z.string().nullable(),
  companyId: z.string().nullable(),
  ownerId: z.string(),
  pipelineId: z.string(),
  stageId: z.string(),
  amount: z.string(),
  currency: z.string(),
  closeDate: z.string().nullable(),
  status: DealStatus,
  customData: CustomData,
  notePreview: z.string().nullable(),
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  abilities: Abilities.optional(),
});
export const StageHistoryRecord = z.object({
  id: z.string(),
  dealId: z.string(),
  fromStageId: z.string().nullable(),
  toStageId: z.string(),
  changedBy: z.string(),
  changedAt: z.string(),
});
/** One currency's sums in a stage: money in different currencies is never added together. Amounts are exact 2-decimal strings. */
export const MoneyTotal = z.object({ currency: z.string(), count: z.number(), amount: z.string(), weighted: z.string() });
/** `count` is all open deals in the stage; `totals` has one entry per currency, sorted by currency code. */
export const BoardStage = StageRecord.extend({ deals: z.array(DealRecord), count: z.number(), totals: z.array(MoneyTotal) });
export const Board = z.object({ pipeline: PipelineRecord, stages: z.array(BoardStage) });

// ---------- activities
export const ActivityCreateInput = z
  .object({
    type: ActivityType,
    contactId: Id.nullable().optional(),
    dealId: Id.nullable().optional(),
    subject: optionalText(300),
    body: z.string().max(100_000).nullable().optional(),
    scheduledAt: IsoDateTime.nullable().optional(),
    completedAt: IsoDateTime.nullable().optional(),
  })
  .strict()
  .refine((a) => a.contactId || a.dealId, { message: 'an activity needs a contactId or a dealId', path: ['contactId'] });
export const ActivityPatchInput = z
  .object({
    subject: optionalText(300),
    body: z.string().max(100_000).nullable().optional(),
    scheduledAt: IsoDateTime.nullable().optional(),
    completedAt: IsoDateTime.nullable().optional(),
    completed: z.boolean().optional(),
  })
  .strict();
export const ActivityRecord = z.object({
  id: z.string(),
  type: ActivityType,
  contactId: z.string().nullable(),
  dealId: z.string().nullable(),
  userId: z.string(),
  subject: z.string().nullable(),
  body: z.string().nullable(),
  scheduledAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  abilities: Abilities.optional(),
});
export const Inbox = z.object({ overdue: z.array(ActivityRecord), upcoming: z.array(ActivityRecord) });

// ---------- custom fields
export const CustomFieldCreateInput = z
  .object({
    entityType: CustomEntityType,
    fieldName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _; starting with a letter'),
    fieldType: CustomFieldType,
    options: z.array(z.string().trim().min(1).max(100)).min(1).max(200).optional(),
    indexed: z.boolean().optional(),
  })
  .strict()
  .refine((f) => (f.fieldType === 'SELECT' || f.fieldType === 'MULTI_SELECT') === !!f.options, {
    message: 'options are required for SELECT and MULTI_SELECT, and only for them',
    path: ['options'],
  });
export const CustomFieldPatchInput = z
  .object({ options: z.array(z.string().trim().min(1).max(100)).min(1).max(200).optional(), indexed: z.boolean().optional() })
  .strict();
export const CustomFieldRecord = z.object({
  id: z.string(),
  entityType: CustomEntityType,
  fieldName: z.string(),
  fieldType: CustomFieldType,
  options: z.array(z.string()).nullable(),
  indexed: z.boolean(),
  createdAt: z.string(),
});

// ---------- lists
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export const page = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export const SortOrder = z.enum(['asc', 'desc']);
export const ContactListQuery = ListQuery.extend({
  q: z.string().trim().max(200).optional(),
  ownerId: Id.optional(),
  companyId: Id.optional(),
  tag: z.string().max(50).optional(),
  source: ContactSource.optional(),
  sort: z.enum(['createdAt', 'updatedAt', 'name']).default('createdAt'),
  order: SortOrder.default('desc'),
});
export const CompanyListQuery = ListQuery.extend({
  q: z.string().trim().max(200).optional(),
  ownerId: Id.optional(),
  industry: z.string().max(100).optional(),
  sort: z.enum(['createdAt', 'updatedAt', 'name']).default('createdAt'),
  order: SortOrder.default('desc'),
});
export const DealListQuery = ListQuery.extend({
  q: z.string().trim().max(200).optional(),
  ownerId: Id.optional(),
  pipelineId: Id.optional(),
  stageId: Id.optional(),
  contactId: Id.optional(),
  companyId: Id.optional(),
  status: DealStatus.optional(),
  sort: z.enum(['createdAt', 'updatedAt', 'name', 'amount', 'closeDate']).default('createdAt'),
  order: SortOrder.default('desc'),
});
export const ActivityListQuery = ListQuery.extend({
  type: ActivityType.optional(),
  contactId: Id.optional(),
  dealId: Id.optional(),
  userId: Id.optional(),
});
export const TimelineQuery = ListQuery.extend({ type: ActivityType.optional() });
export const BoardQuery = z.object({ ownerId: z.union([Id, z.literal('me'), z.literal('team')]).optional() });

// ---------- audit log and background jobs
export const AuditQuery = z.object({
  entityType: z.string().trim().min(1).max(40).optional(),
  entityId: Id.optional(),
  /** Keyset cursor: entries with a smaller seq than this (the previous page's nextCursor). */
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const AuditEntry = z.object({
  seq: z.number(),
  at: z.string(),
  type: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  actor: z.object({ kind: z.enum(['user', 'apiKey', 'system']), id: z.string().nullable(), name: z.string() }),
  requestId: z.string().nullable(),
  /** Field names an update changed (custom fields as `customData.<name>`); null for creations and deletions. */
  changed: z.array(z.string()).nullable(),
  /** The changed fields' previous values (updates), or the deleted record's ref (deletions). */
  before: z.record(z.string(), z.unknown()).nullable(),
  /** The changed fields' new values (updates), or the created record (creations). */
  after: z.record(z.string(), z.unknown()).nullable(),
});
export const JobStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export const JobRecord = z.object({
  id: z.string(),
  kind: z.string(),
  status: JobStatus,
  total: z.number(),
  done: z.number(),
  failed: z.number(),
  error: z.string().nullable(),
});
export const CustomFieldWriteResult = CustomFieldRecord.extend({ jobId: z.string().nullable() });

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown() }) });

export type UserRecord = z.infer<typeof UserRecord>;
export type CompanyRecord = z.infer<typeof CompanyRecord>;
export type ContactRecord = z.infer<typeof ContactRecord>;
export type DealRecord = z.infer<typeof DealRecord>;
export type StageRecord = z.infer<typeof StageRecord>;
export type PipelineRecord = z.infer<typeof PipelineRecord>;
export type ActivityRecord = z.infer<typeof ActivityRecord>;
export type CustomFieldRecord = z.infer<typeof CustomFieldRecord>;
export type ShareRecord = z.infer<typeof ShareRecord>;
export type StageHistoryRecord = z.infer<typeof StageHistoryRecord>;
export type Board = z.infer<typeof Board>;
export type BoardStage = z.infer<typeof BoardStage>;
export type MoneyTotal = z.infer<typeof MoneyTotal>;
export type Inbox = z.infer<typeof Inbox>;
export type Role = z.infer<typeof Role>;
export type Abilities = z.infer<typeof Abilities>;
export type ActivityType = z.infer<typeof ActivityType>;

// ---------- tenant settings
/** An IANA time zone name the runtime knows ("Europe/Berlin", "UTC"). */
export const TimeZone = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone name, such as Europe/Berlin or UTC');
/** Tenant-wide settings: one validated object; features add their fields here. */
export const TenantSettings = z
  .object({
    /** Reports' months and days, and due-date display, are in this zone. */
    timezone: TimeZone,
    /** The region phone numbers without a country code are read in (ISO 3166-1 alpha-2), for E.164 normalisation. */
    defaultPhoneRegion: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 region code such as US or DE'),
    /** The currency new deals get when none is given. */
    defaultCurrency: Currency,
  })
  .strict();
export const TenantSettingsPatch = TenantSettings.partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'send at least one setting');
export type TenantSettingsRecord = z.infer<typeof TenantSettings>;
export type AuditEntry = z.infer<typeof AuditEntry>;
export type JobRecord = z.infer<typeof JobRecord>;
export type JobStatus = z.infer<typeof JobStatus>;
