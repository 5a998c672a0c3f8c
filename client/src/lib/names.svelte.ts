import { api } from './api';

/**
 * Company and contact names for ids shown in lists of other records (deal cards, timelines).
 * Each id is fetched once; unknown or invisible ids stay blank instead of failing the page.
 */
class Names {
  companies = $state<Record<string, string>>({});
  contacts = $state<Record<string, string>>({});
  private asked = new Set<string>();

  company(id: string | null): string {
    if (!id) return '';
    if (!this.asked.has('co:' + id)) {
      this.asked.add('co:' + id);
      api.company(id).then((c) => { this.companies[id] = c.name; }, () => {});
    }
    return this.companies[id] ?? '';
  }

  contact(id: string | null): string {
    if (!id) return '';
    if (!this.asked.has('ct:' + id)) {
      this.asked.add('ct:' + id);
      api.contact(id).then((c) => { this.contacts[id] = `${c.firstName} ${c.lastName}`.trim(); }, () => {});
    }
    return this.contacts[id] ?? '';
  }

  setCompany(id: string, name: string) { this.asked.add('co:' + id); this.companies[id] = name; }
  setContact(id: string, name: string) { this.asked.add('ct:' + id); this.contacts[id] = name; }
}

export const names = new Names();
