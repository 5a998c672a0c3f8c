import { api } from './api';

/**
 * Company and contact names for ids shown in lists of other records (deal cards, timelines).
 * Each id is fetched once; unknown or invisible ids stay blank instead of failing the page.
 */
class Names {
  companies = $state<Record<string, string>>({});
  contacts = $state<Record<string, string>>({});
  /** Keys ('co:' or 'ct:' + id) whose record could not be read: deleted, or linked by someone who sees more than I do. */
  missing = $state<Record<string, true>>({});
  private asked = new Set<string>();

  company(id: string | null): string {
    if (!id) return '';
    if (!this.asked.has('co:' + id)) {
      this.asked.add('co:' + id);
      api.company(id).then(
        (c) => {
          this.companies[id] = c.name;
        },
        () => {
          this.missing['co:' + id] = true;
        },
      );
    }
    return this.companies[id] ?? '';
  }

  contact(id: string | null): string {
    if (!id) return '';
    if (!this.asked.has('ct:' + id)) {
      this.asked.add('ct:' + id);
      api.contact(id).then(
        (c) => {
          this.contacts[id] = `${c.firstName} ${c.lastName}`.trim();
        },
        () => {
          this.missing['ct:' + id] = true;
        },
      );
    }
    return this.contacts[id] ?? '';
  }

  /** A name for a linked record that never reads as blank: '…' while it loads, a plain note when I cannot read it. */
  companyLabel(id: string): string {
    return this.company(id) || (this.missing['co:' + id] ? 'Not visible to you' : '…');
  }
  contactLabel(id: string): string {
    return this.contact(id) || (this.missing['ct:' + id] ? 'Not visible to you' : '…');
  }

  setCompany(id: string, name: string) {
    this.asked.add('co:' + id);
    this.companies[id] = name;
  }
  setContact(id: string, name: string) {
    this.asked.add('ct:' + id);
    this.contacts[id] = name;
  }
}

export const names = new Names();
