import type { WritePath } from './db/write.js';
import type { Policy } from './policy/policy.js';
import type { Logger } from './log.js';
import { AuthService } from './auth/auth.service.js';
import { UserService } from './users/user.service.js';
import { CompanyService } from './companies/company.service.js';
import { ContactService } from './contacts/contact.service.js';
import { DealService } from './deals/deal.service.js';
import { PipelineService } from './pipelines/pipeline.service.js';
import { ActivityService } from './activities/activity.service.js';
import { CustomFieldService } from './custom-fields/custom-field.service.js';
import { SettingsService } from './settings/settings.service.js';

export interface Services {
  auth: AuthService;
  users: UserService;
  companies: CompanyService;
  contacts: ContactService;
  deals: DealService;
  pipelines: PipelineService;
  activities: ActivityService;
  customFields: CustomFieldService;
  settings: SettingsService;
}

export function createServices(wp: WritePath, policy: Policy, log: Logger, opts: { sessionTtlMs: number; embedded: boolean }): Services {
  const activities = new ActivityService(wp, policy);
  return {
    auth: new AuthService(wp, opts.sessionTtlMs),
    users: new UserService(wp, policy),
    companies: new CompanyService(wp, policy),
    contacts: new ContactService(wp, policy),
    deals: new DealService(wp, policy, activities.commands),
    pipelines: new PipelineService(wp, policy),
    activities,
    customFields: new CustomFieldService(wp, log, opts.embedded),
    settings: new SettingsService(wp, policy),
  };
}
