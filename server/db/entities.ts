import { Tenant } from '../tenants/tenant.entity.js';
import { User, Session } from '../users/user.entity.js';
import { Company } from '../companies/company.entity.js';
import { Contact, ContactShare } from '../contacts/contact.entity.js';
import { Pipeline, Stage } from '../pipelines/pipeline.entity.js';
import { Deal, DealStageHistory } from '../deals/deal.entity.js';
import { Activity } from '../activities/activity.entity.js';
import { CustomField } from '../custom-fields/custom-field.entity.js';
import { OutboxEvent } from '../events/outbox.entity.js';
import { NoteUpdate, NoteSnapshot, NoteUpdateQuarantine } from '../notes/note.entity.js';

/** Every table the ORM knows; the migrator diffs these against the database. */
export const entities = [
  Tenant,
  User,
  Session,
  Company,
  Contact,
  ContactShare,
  Pipeline,
  Stage,
  Deal,
  DealStageHistory,
  Activity,
  CustomField,
  OutboxEvent,
  NoteUpdate,
  NoteSnapshot,
  NoteUpdateQuarantine,
];
