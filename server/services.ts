import type { WritePath } from './db/write.js';
import type { Visibility } from './visibility/visibility.js';
import type { Logger } from './log.js';
import { AuthService } from './auth/auth.service.js';
import { UserService } from './users/user.service.js';
import { CompanyService } from './companies/company.service.js';
import { ContactService } from './contacts/contact.service.js';
import { DealService } from './deals/deal.service.js';
import { PipelineService } from './pipelines/pipeline.service.js';
import { ActivityService } from './activities/activity.service.js';
import { CustomFieldService } from './custom-fields/custom-field.service.js';

export interface Services {
  auth: AuthService;
  users: UserService;
  companies: CompanyService;
  contacts: ContactService;
  deals: DealService;
  pipelines: PipelineService;
  activities: ActivityService;
  customFields: CustomFieldService;
}

export function createServices(wp: WritePath, vis: Visibility, log: Logger, opts: { sessionTtlMs: number; embedded: boolean }): Services {
  return {
    auth: new AuthService(wp, opts.sessionTtlMs),
    users: new UserService(wp, vis),
    companies: new CompanyService(wp, vis),
    contacts: new ContactService(wp, vis),
    deals: new DealService(wp, vis),
    pipelines: new PipelineService(wp),
    activities: new ActivityService(wp, vis),
    customFields: new CustomFieldService(wp, log, opts.embedded),
  };
}
